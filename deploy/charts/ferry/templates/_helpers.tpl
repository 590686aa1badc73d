{{/* Names, labels and the few decisions every template shares. */}}

{{- define "ferry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name when it already contains the chart name, else release-chart. */}}
{{- define "ferry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ferry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ferry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ferry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "ferry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "ferry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ferry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "ferry.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The namespace Ferry serves in namespace scope. */}}
{{- define "ferry.watchNamespace" -}}
{{- default .Release.Namespace .Values.watchNamespace -}}
{{- end -}}

{{- define "ferry.namespaced" -}}
{{- if eq .Values.scope "namespace" -}}true{{- end -}}
{{- end -}}

{{/* Objects Ferry creates itself; RBAC names them so that it can update those and no others. */}}
{{- define "ferry.webhookServiceName" -}}{{ include "ferry.fullname" . }}-webhook{{- end -}}
{{- define "ferry.webhookSecretName" -}}{{ include "ferry.fullname" . }}-webhook-tls{{- end -}}
{{- define "ferry.webhookCertManagerSecretName" -}}{{ include "ferry.fullname" . }}-webhook-cert{{- end -}}
{{- define "ferry.webhookConfigName" -}}{{ include "ferry.fullname" . }}-validating-webhook{{- end -}}
{{- define "ferry.hashKeySecretName" -}}ferry-hash-key{{- end -}}

{{/* The CRDs whose spec.conversion Ferry points at its webhook. */}}
{{- define "ferry.convertedCRDs" -}}
- externalsecrets.external-secrets.io
- secretstores.external-secrets.io
- clustersecretstores.external-secrets.io
{{- end -}}

{{- define "ferry.certDir" -}}/etc/ferry/webhook-certs{{- end -}}

{{/* Fails rendering on values that cannot work, with what to change. */}}
{{- define "ferry.validate" -}}
{{- if not (has .Values.scope (list "cluster" "namespace")) -}}
{{- fail (printf "scope must be \"cluster\" or \"namespace\", not %q" .Values.scope) -}}
{{- end -}}
{{- if and .Values.watchNamespace (ne .Values.scope "namespace") -}}
{{- fail "watchNamespace is only used with scope=namespace: set scope=namespace, or leave watchNamespace empty to serve every namespace" -}}
{{- end -}}
{{- if and .Values.webhook.certManager.enabled (not .Values.webhook.enabled) -}}
{{- fail "webhook.certManager.enabled needs webhook.enabled=true" -}}
{{- end -}}
{{- if and .Values.webhook.certManager.issuerRef (not .Values.webhook.certManager.issuerRef.name) -}}
{{- fail "webhook.certManager.issuerRef needs a name (and kind: Issuer or ClusterIssuer)" -}}
{{- end -}}
{{- if not (has .Values.metrics.labels (list "eso" "low")) -}}
{{- fail (printf "metrics.labels must be \"eso\" or \"low\", not %q" .Values.metrics.labels) -}}
{{- end -}}
{{- if gt (int .Values.logLevel) 5 -}}
{{- fail "logLevel is at most 5" -}}
{{- end -}}
{{- end -}}
