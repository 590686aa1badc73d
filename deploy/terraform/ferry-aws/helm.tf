# Ferry's chart, running as var.service_account with the role.

locals {
  chart_values = {
    serviceAccount = {
      create = true
      name   = var.service_account
      # With IRSA the EKS webhook gives the pods a token file and the role's ARN; with Pod
      # Identity the association does, and the ServiceAccount needs no annotation.
      annotations = local.irsa ? { "eks.amazonaws.com/role-arn" = aws_iam_role.this.arn } : {}
    }
    image = merge(
      var.image_repository == null ? {} : { repository = var.image_repository },
      var.image_tag == null ? {} : { tag = var.image_tag },
    )
  }
}

resource "helm_release" "ferry" {
  count = var.install_chart ? 1 : 0

  name             = var.release_name
  chart            = coalesce(var.chart, "${path.module}/../../charts/ferry")
  version          = var.chart_version
  namespace        = var.namespace
  create_namespace = var.create_namespace
  values           = concat([yamlencode(local.chart_values)], var.chart_values)

  # Ferry's first reads must find the role's policy (and association) in place.
  depends_on = [aws_iam_role_policy.this, aws_eks_pod_identity_association.this]
}
