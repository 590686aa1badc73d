# The IAM role a Ferry ServiceAccount assumes (IRSA or EKS Pod Identity), and its policy.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  irsa        = var.oidc_provider_arn != null && var.oidc_provider_url != null
  oidc_issuer = local.irsa ? replace(var.oidc_provider_url, "https://", "") : ""

  secret_arns = concat(var.secrets_manager_arns, [
    for prefix in var.secrets_manager_name_prefixes :
    "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${prefix}*"
  ])
  parameter_arns = concat(var.parameter_store_arns, [
    for prefix in var.parameter_store_path_prefixes :
    "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(prefix, "/")}*"
  ])

  # Every certificate of the account and region: a certificate PushSecret imports gets its
  # ARN from ACM, so the push statements cannot name it in advance; tags restrict them.
  all_certificates = "arn:${local.partition}:acm:${local.region}:${local.account_id}:certificate/*"

  grants_anything = anytrue([
    length(local.secret_arns) > 0,
    length(var.certificate_manager_arns) > 0,
    length(local.parameter_arns) > 0,
    length(var.kms_key_arns) > 0,
    length(var.assume_role_arns) > 0,
    var.enable_ecr_authorization_token,
  ])

  # KMS keys are used only through the services Ferry calls.
  kms_via_services = [
    "secretsmanager.${local.region}.amazonaws.com",
    "ssm.${local.region}.amazonaws.com",
  ]

  # The tag PushSecret puts on what it creates, and requires on what it overwrites or
  # deletes: External Secrets Operator's, so either may take over the other's secrets.
  managed_by_key   = "managed-by"
  managed_by_value = "external-secrets"
  # The tag Ferry puts on a secret whose resource policy it attached (push metadata).
  resource_policy_key = "ferry-resource-policy"
}

data "aws_iam_policy_document" "trust" {
  dynamic "statement" {
    for_each = local.irsa ? [1] : []
    content {
      sid     = "ServiceAccountWebIdentity"
      effect  = "Allow"
      actions = ["sts:AssumeRoleWithWebIdentity"]

      principals {
        type        = "Federated"
        identifiers = [var.oidc_provider_arn]
      }

      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:sub"
        values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
      }

      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:aud"
        values   = [var.oidc_audience]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_pod_identity ? [1] : []
    content {
      sid     = "EKSPodIdentity"
      effect  = "Allow"
      actions = ["sts:AssumeRole", "sts:TagSession"]

      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  path                 = var.role_path
  description          = "Ferry (external-secrets.io) for system:serviceaccount:${var.namespace}:${var.service_account}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = local.irsa || var.enable_pod_identity
      error_message = "Set oidc_provider_arn and oidc_provider_url (IRSA), or enable_pod_identity, so that a ServiceAccount can assume the role."
    }
    precondition {
      condition     = !var.enable_pod_identity || var.cluster_name != null
      error_message = "enable_pod_identity needs cluster_name for the Pod Identity association."
    }
  }
}

resource "aws_iam_role_policy" "this" {
  # IAM refuses a policy without statements. Counted from the inputs, which are known at
  # plan time even when the ARNs are not.
  count = local.grants_anything ? 1 : 0

  name   = var.name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.ferry.json
}

resource "aws_eks_pod_identity_association" "this" {
  count = var.enable_pod_identity ? 1 : 0

  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.this.arn
  tags            = var.tags
}
