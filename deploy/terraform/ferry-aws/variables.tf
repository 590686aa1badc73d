# Identity: which ServiceAccount assumes the role, and how.

variable "name" {
  description = "Name of the IAM role; its inline policy has the same name."
  type        = string
  default     = "ferry"
}

variable "role_path" {
  description = "Path of the IAM role."
  type        = string
  default     = "/"
}

variable "permissions_boundary_arn" {
  description = "ARN of a permissions boundary for the role, or null."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the IAM role (and the Pod Identity association)."
  type        = map(string)
  default     = {}
}

variable "namespace" {
  description = "Namespace of the ServiceAccount that assumes the role: Ferry's own (and the chart's namespace when install_chart is true), or the namespace of a SecretStore whose auth.jwt names the ServiceAccount."
  type        = string
}

variable "service_account" {
  description = "Name of that ServiceAccount. With install_chart the chart creates it under this name."
  type        = string
  default     = "ferry"
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (IRSA), e.g. module.eks.oidc_provider_arn. Set it with oidc_provider_url, or use enable_pod_identity."
  type        = string
  default     = null
}

variable "oidc_provider_url" {
  description = "Issuer URL of the cluster's OIDC provider, with or without https://, e.g. module.eks.cluster_oidc_issuer_url."
  type        = string
  default     = null
}

variable "oidc_audience" {
  description = "Audience of the ServiceAccount tokens exchanged with STS (the eks.amazonaws.com/audience annotation; Ferry's default is sts.amazonaws.com)."
  type        = string
  default     = "sts.amazonaws.com"
}

variable "enable_pod_identity" {
  description = "Trust EKS Pod Identity (pods.eks.amazonaws.com) and associate the role with the ServiceAccount in cluster_name. Needs the eks-pod-identity-agent add-on. Works for Ferry's own identity (stores without auth), not for a SecretStore's auth.jwt."
  type        = bool
  default     = false
}

variable "cluster_name" {
  description = "Name of the EKS cluster, for the Pod Identity association. Required with enable_pod_identity."
  type        = string
  default     = null
}

# What the role may read and write.

variable "secrets_manager_arns" {
  description = "ARNs (wildcards allowed) of the Secrets Manager secrets Ferry may read (and, with enable_push_secret, write if tagged managed-by=external-secrets)."
  type        = list(string)
  default     = []
}

variable "secrets_manager_name_prefixes" {
  description = "Name prefixes of Secrets Manager secrets in this account and region, e.g. [\"example\", \"app/\"]; each becomes arn:...:secret:<prefix>*. PushSecret can create secrets only under a prefix (a new secret's ARN is not known in advance)."
  type        = list(string)
  default     = []
}

variable "parameter_store_arns" {
  description = "ARNs (wildcards allowed) of the Parameter Store parameters Ferry may read (and, with enable_push_secret, write)."
  type        = list(string)
  default     = []
}

variable "parameter_store_path_prefixes" {
  description = "Path prefixes of parameters in this account and region, e.g. [\"/app/\"]; each becomes arn:...:parameter/<prefix>*. dataFrom.find.path /app needs the prefix \"/app\" (the path itself is the resource)."
  type        = list(string)
  default     = []
}

variable "certificate_manager_arns" {
  description = "ARNs (wildcards allowed) of the AWS Certificate Manager certificates Ferry may export (spec.provider.aws.service CertificateManager). With enable_push_secret, PushSecret may also import certificates tagged managed-by=external-secrets in this account and region, and re-import, retag or delete only those that carry that tag."
  type        = list(string)
  default     = []
}

variable "kms_key_arns" {
  description = "ARNs of customer-managed KMS keys of those secrets and parameters. Ferry may decrypt with them (and encrypt, with enable_push_secret) only through Secrets Manager and Parameter Store. Not needed for the AWS managed keys."
  type        = list(string)
  default     = []
}

variable "enable_push_secret" {
  description = "Grant PushSecret's write actions: create secrets and parameters tagged managed-by=external-secrets, and overwrite or delete only those that carry that tag."
  type        = bool
  default     = false
}

variable "assume_role_arns" {
  description = "ARNs of roles the stores' spec.provider.aws.role and additionalRoles name (a role chain); the role may assume them, with session tags."
  type        = list(string)
  default     = []
}

variable "enable_ecr_authorization_token" {
  description = "Grant ecr:GetAuthorizationToken, ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken for the ECRAuthorizationToken generator."
  type        = bool
  default     = false
}

# The Helm release of Ferry's chart.

variable "install_chart" {
  description = "Install Ferry's chart (deploy/charts/ferry) in namespace, running as service_account with this role (the IRSA annotation, or the Pod Identity association)."
  type        = bool
  default     = false
}

variable "chart" {
  description = "Path or URL of the chart; null is the chart of this repository (deploy/charts/ferry)."
  type        = string
  default     = null
}

variable "chart_version" {
  description = "Version of the chart, when chart names a repository chart; null for a local path."
  type        = string
  default     = null
}

variable "release_name" {
  description = "Name of the Helm release."
  type        = string
  default     = "ferry"
}

variable "create_namespace" {
  description = "Create namespace with the release."
  type        = bool
  default     = true
}

variable "image_repository" {
  description = "Image repository of Ferry (image.repository); null keeps the chart's."
  type        = string
  default     = null
}

variable "image_tag" {
  description = "Image tag of Ferry (image.tag); null keeps the chart's (its appVersion)."
  type        = string
  default     = null
}

variable "chart_values" {
  description = "More values files (YAML strings) of the release, applied after the module's own."
  type        = list(string)
  default     = []
}
