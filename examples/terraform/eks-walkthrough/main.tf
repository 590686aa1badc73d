# The walkthrough "AWS Secrets Manager as the single source of truth" as code, with Ferry in
# place of External Secrets Operator and Reloader: a VPC, an EKS cluster with an OIDC
# provider (IRSA), Ferry's chart running with an IAM role that may read the secret, and the
# empty secret. The ClusterSecretStore and ExternalSecret are in manifests/ (README, step 4).

provider "aws" {
  region = var.region
}

provider "helm" {
  kubernetes = {
    host                   = module.eks.cluster_endpoint
    cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)
    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.eks.cluster_name, "--region", var.region]
    }
  }
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 6.0"

  name            = "${var.cluster}-vpc"
  cidr            = var.cidr_block
  azs             = var.azs
  private_subnets = var.private_subnet_block
  public_subnets  = var.public_subnet_block

  enable_nat_gateway     = true
  single_nat_gateway     = true
  one_nat_gateway_per_az = false
  enable_dns_hostnames   = true

  public_subnet_tags  = { "kubernetes.io/role/elb" = 1 }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = 1 }
}

module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 21.0"

  name               = var.cluster
  kubernetes_version = var.kubernetes_version
  vpc_id             = module.vpc.vpc_id
  subnet_ids         = module.vpc.private_subnets

  endpoint_private_access      = true
  endpoint_public_access       = true
  endpoint_public_access_cidrs = var.public_access_cidrs

  # The IAM OIDC provider that IRSA needs.
  enable_irsa = true
  # Whoever runs terraform apply administers the cluster (helm, kubectl).
  enable_cluster_creator_admin_permissions = true

  addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = { before_compute = true }
    eks-pod-identity-agent = { before_compute = true }
  }

  eks_managed_node_groups = {
    core = {
      instance_types = var.node_instance_types
      capacity_type  = "ON_DEMAND"
      min_size       = var.node_min
      max_size       = var.node_max
      desired_size   = var.node_desired
    }
  }
}

# The empty secret the walkthrough fills in the console (README, step 5).
resource "aws_secretsmanager_secret" "example" {
  name                    = var.project
  recovery_window_in_days = 0
}

# Ferry, installed by its chart, running as ferry-system/ferry with a role that may read the
# secret: a ClusterSecretStore without auth uses that identity.
module "ferry" {
  source = "../../../deploy/terraform/ferry-aws"

  name              = "${var.cluster}-ferry"
  namespace         = "ferry-system"
  service_account   = "ferry"
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_provider_url = module.eks.cluster_oidc_issuer_url

  secrets_manager_arns = [aws_secretsmanager_secret.example.arn]

  install_chart    = true
  image_repository = var.ferry_image_repository
  image_tag        = var.ferry_image_tag
}

# The walkthrough's own way ("ESO as a Service"): the namespace's ServiceAccount assumes a
# role of its own through the SecretStore's auth.jwt; examples/seed holds its manifests.
module "example_namespace_role" {
  source = "../../../deploy/terraform/ferry-aws"
  count  = var.per_namespace_role ? 1 : 0

  name              = "${var.cluster}-${var.project}-ServiceAccountRole"
  namespace         = var.project
  service_account   = var.project
  oidc_provider_arn = module.eks.oidc_provider_arn
  oidc_provider_url = module.eks.cluster_oidc_issuer_url

  secrets_manager_arns = [aws_secretsmanager_secret.example.arn]
}
