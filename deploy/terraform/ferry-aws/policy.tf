# The permissions of the role: exactly the AWS actions Ferry's code calls, as derived from
# it by internal/provider/aws/iamactions; test/terraform fails when they drift apart.
#
# Statements gated on var.enable_push_secret are PushSecret's; the others are reading's.
# Every list of actions is written out literally so that the test can read it.

data "aws_iam_policy_document" "ferry" {
  # Reading: ExternalSecrets (remoteRef, dataFrom.extract, metadataPolicy: Fetch), version
  # checks, and the reads PushSecret makes before it writes.
  dynamic "statement" {
    for_each = length(local.secret_arns) > 0 ? [1] : []
    content {
      sid       = "SecretsManagerRead"
      effect    = "Allow"
      actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
      resources = local.secret_arns
    }
  }

  # ListSecrets (dataFrom.find, change checks) and BatchGetSecretValue (batched reads) name
  # no resource; BatchGetSecretValue still needs GetSecretValue on each secret.
  dynamic "statement" {
    for_each = length(local.secret_arns) > 0 ? [1] : []
    content {
      sid       = "SecretsManagerList"
      effect    = "Allow"
      actions   = ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = length(local.parameter_arns) > 0 ? [1] : []
    content {
      sid       = "ParameterStoreRead"
      effect    = "Allow"
      actions   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:ListTagsForResource"]
      resources = local.parameter_arns
    }
  }

  # DescribeParameters (dataFrom.find by name or tags) names no resource.
  dynamic "statement" {
    for_each = length(local.parameter_arns) > 0 ? [1] : []
    content {
      sid       = "ParameterStoreDescribe"
      effect    = "Allow"
      actions   = ["ssm:DescribeParameters"]
      resources = ["*"]
    }
  }

  # Certificate Manager: GetCertificate shows whether a certificate changed, ExportCertificate
  # exports it only then.
  dynamic "statement" {
    for_each = length(var.certificate_manager_arns) > 0 ? [1] : []
    content {
      sid       = "CertificateManagerRead"
      effect    = "Allow"
      actions   = ["acm:ExportCertificate", "acm:GetCertificate"]
      resources = var.certificate_manager_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "KMSDecrypt"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = var.kms_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = local.kms_via_services
      }
    }
  }

  # spec.provider.aws.role and additionalRoles, with sessionTags.
  dynamic "statement" {
    for_each = length(var.assume_role_arns) > 0 ? [1] : []
    content {
      sid       = "AssumeStoreRoles"
      effect    = "Allow"
      actions   = ["sts:AssumeRole", "sts:TagSession"]
      resources = var.assume_role_arns
    }
  }

  dynamic "statement" {
    for_each = var.enable_ecr_authorization_token ? [1] : []
    content {
      sid       = "ECRAuthorizationToken"
      effect    = "Allow"
      actions   = ["ecr:GetAuthorizationToken", "ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"]
      resources = ["*"]
    }
  }

  # PushSecret: creating a secret requires the managed-by tag and no other (CreateSecret
  # checks TagResource for the tags it carries, and ReplicateSecretToRegions for the
  # metadata's replicationLocations).
  dynamic "statement" {
    for_each = var.enable_push_secret && length(local.secret_arns) > 0 ? [1] : []
    content {
      sid       = "PushSecretsManagerCreate"
      effect    = "Allow"
      actions   = ["secretsmanager:CreateSecret", "secretsmanager:ReplicateSecretToRegions", "secretsmanager:TagResource"]
      resources = local.secret_arns

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/${local.managed_by_key}"
        values   = [local.managed_by_value]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "aws:TagKeys"
        values   = [local.managed_by_key]
      }
    }
  }

  # PushSecret: only secrets tagged managed-by=external-secrets are overwritten, replicated
  # (metadata replicationLocations) or deleted.
  dynamic "statement" {
    for_each = var.enable_push_secret && length(local.secret_arns) > 0 ? [1] : []
    content {
      sid    = "PushSecretsManagerWriteManaged"
      effect = "Allow"
      actions = ["secretsmanager:DeleteSecret", "secretsmanager:PutSecretValue",
      "secretsmanager:RemoveRegionsFromReplication", "secretsmanager:ReplicateSecretToRegions"]
      resources = local.secret_arns

      condition {
        test     = "StringEquals"
        variable = "secretsmanager:ResourceTag/${local.managed_by_key}"
        values   = [local.managed_by_value]
      }
    }
  }

  # PushSecret: metadata.spec.resourcePolicy on a managed secret. Ferry tags the secrets
  # whose policy it attached (and only with that key), so that it removes no other policy.
  dynamic "statement" {
    for_each = var.enable_push_secret && length(local.secret_arns) > 0 ? [1] : []
    content {
      sid    = "PushSecretsManagerResourcePolicy"
      effect = "Allow"
      actions = ["secretsmanager:DeleteResourcePolicy", "secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy",
      "secretsmanager:TagResource", "secretsmanager:UntagResource"]
      resources = local.secret_arns

      condition {
        test     = "StringEquals"
        variable = "secretsmanager:ResourceTag/${local.managed_by_key}"
        values   = [local.managed_by_value]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "aws:TagKeys"
        values   = [local.resource_policy_key]
      }
    }
  }

  # PushSecret: a new parameter is written first and tagged next, so its creation cannot be
  # conditioned on the tag; it is allowed only when nothing is overwritten.
  dynamic "statement" {
    for_each = var.enable_push_secret && length(local.parameter_arns) > 0 ? [1] : []
    content {
      sid       = "PushParameterStoreCreate"
      effect    = "Allow"
      actions   = ["ssm:PutParameter"]
      resources = local.parameter_arns

      condition {
        test     = "StringEquals"
        variable = "ssm:Overwrite"
        values   = ["false"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_push_secret && length(local.parameter_arns) > 0 ? [1] : []
    content {
      sid       = "PushParameterStoreTag"
      effect    = "Allow"
      actions   = ["ssm:AddTagsToResource"]
      resources = local.parameter_arns

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/${local.managed_by_key}"
        values   = [local.managed_by_value]
      }

      condition {
        test     = "ForAllValues:StringEquals"
        variable = "aws:TagKeys"
        values   = [local.managed_by_key]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_push_secret && length(local.parameter_arns) > 0 ? [1] : []
    content {
      sid       = "PushParameterStoreWriteManaged"
      effect    = "Allow"
      actions   = ["ssm:DeleteParameter", "ssm:PutParameter"]
      resources = local.parameter_arns

      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/${local.managed_by_key}"
        values   = [local.managed_by_value]
      }
    }
  }

  dynamic "statement" {
    for_each = var.enable_push_secret && length(var.kms_key_arns) > 0 ? [1] : []
    content {
      sid       = "PushKMSEncrypt"
      effect    = "Allow"
      actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
      resources = var.kms_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = local.kms_via_services
      }
    }
  }

  # PushSecret: a new certificate is imported with the managed-by tag (ImportCertificate
  # checks AddTagsToCertificate for the tags it carries). Its other tags, the remote key and
  # the metadata's, are the user's to choose, so aws:TagKeys is not pinned.
  dynamic "statement" {
    for_each = var.enable_push_secret && length(var.certificate_manager_arns) > 0 ? [1] : []
    content {
      sid       = "PushCertificateManagerImport"
      effect    = "Allow"
      actions   = ["acm:AddTagsToCertificate", "acm:ImportCertificate"]
      resources = [local.all_certificates]

      condition {
        test     = "StringEquals"
        variable = "aws:RequestTag/${local.managed_by_key}"
        values   = [local.managed_by_value]
      }
    }
  }

  # PushSecret: only certificates tagged managed-by=external-secrets are compared,
  # re-imported, retagged or deleted.
  dynamic "statement" {
    for_each = var.enable_push_secret && length(var.certificate_manager_arns) > 0 ? [1] : []
    content {
      sid       = "PushCertificateManagerWriteManaged"
      effect    = "Allow"
      actions   = ["acm:AddTagsToCertificate", "acm:DeleteCertificate", "acm:GetCertificate", "acm:ImportCertificate", "acm:ListTagsForCertificate", "acm:RemoveTagsFromCertificate"]
      resources = [local.all_certificates]

      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/${local.managed_by_key}"
        values   = [local.managed_by_value]
      }
    }
  }

  # PushSecret finds the certificate it imported for a remote key by its tags; the
  # Resource Groups Tagging API names no resource and reads tags only.
  dynamic "statement" {
    for_each = var.enable_push_secret && length(var.certificate_manager_arns) > 0 ? [1] : []
    content {
      sid       = "PushCertificateManagerFind"
      effect    = "Allow"
      actions   = ["tag:GetResources"]
      resources = ["*"]
    }
  }
}
