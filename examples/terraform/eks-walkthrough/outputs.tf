output "region" {
  description = "AWS region of the cluster and the secret."
  value       = var.region
}

output "cluster_name" {
  description = "Name of the EKS cluster, for aws eks update-kubeconfig."
  value       = module.eks.cluster_name
}

output "secret_arn" {
  description = "ARN of the secret example."
  value       = aws_secretsmanager_secret.example.arn
}

output "ferry_role_arn" {
  description = "ARN of the role Ferry's ServiceAccount assumes."
  value       = module.ferry.role_arn
}

output "example_role_arn" {
  description = "ARN of the namespace's own role (per_namespace_role), or null."
  value       = var.per_namespace_role ? module.example_namespace_role[0].role_arn : null
}
