output "role_arn" {
  description = "ARN of the IAM role: the eks.amazonaws.com/role-arn annotation of the ServiceAccount."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the IAM role, to attach more policies."
  value       = aws_iam_role.this.name
}

output "policy_json" {
  description = "The role's inline policy (JSON), as granted."
  value       = data.aws_iam_policy_document.ferry.json
}

output "service_account_annotations" {
  description = "Annotations for the ServiceAccount when it is not created by install_chart (IRSA only; empty with Pod Identity)."
  value       = local.irsa ? { "eks.amazonaws.com/role-arn" = aws_iam_role.this.arn } : {}
}

output "helm_release_name" {
  description = "Name of the Helm release, or null when install_chart is false."
  value       = var.install_chart ? helm_release.ferry[0].name : null
}
