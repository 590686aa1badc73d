variable "region" {
  description = "AWS region of everything; the manifests' ClusterSecretStore names eu-west-1, change it there too."
  type        = string
  default     = "eu-west-1"
}

variable "cluster" {
  description = "Name of the EKS cluster (and prefix of the VPC's)."
  type        = string
  default     = "ferry-walkthrough"
}

variable "kubernetes_version" {
  description = "Kubernetes version of the cluster: one EKS supports today (the walkthrough's 1.21 no longer is)."
  type        = string
  default     = "1.34"
}

variable "project" {
  description = "The application's namespace, and the name of its secret in Secrets Manager."
  type        = string
  default     = "example"
}

variable "cidr_block" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "azs" {
  description = "The two Availability Zones the VPC spans."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b"]
}

variable "private_subnet_block" {
  description = "CIDR blocks of the private subnets (nodes), one per zone."
  type        = list(string)
  default     = ["10.0.1.0/24", "10.0.2.0/24"]
}

variable "public_subnet_block" {
  description = "CIDR blocks of the public subnets (NAT gateway, load balancers), one per zone."
  type        = list(string)
  default     = ["10.0.101.0/24", "10.0.102.0/24"]
}

variable "public_access_cidrs" {
  description = "CIDR blocks allowed to reach the cluster's public API endpoint; narrow it to yours."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "node_instance_types" {
  description = "Instance types of the node group."
  type        = list(string)
  default     = ["t3.medium"]
}

variable "node_min" {
  description = "Minimum number of nodes."
  type        = number
  default     = 1
}

variable "node_max" {
  description = "Maximum number of nodes."
  type        = number
  default     = 2
}

variable "node_desired" {
  description = "Desired number of nodes."
  type        = number
  default     = 1
}

variable "ferry_image_repository" {
  description = "Image repository of Ferry. No image is published yet: build bin/ferry into an image and push it to a registry the nodes can pull from (e.g. ECR)."
  type        = string
}

variable "ferry_image_tag" {
  description = "Image tag of Ferry."
  type        = string
}

variable "per_namespace_role" {
  description = "Also create the walkthrough's own role: the namespace's ServiceAccount (project/project) assumes it through the SecretStore's auth.jwt, as in examples/seed."
  type        = bool
  default     = false
}
