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

{{/* The namespaces Ferry serves, as a JSON list, sorted; empty: every namespace. The string
scope: namespace is the older spelling of one namespace (watchNamespace, or the release
namespace); scope: cluster of none. */}}
{{- define "ferry.servedNamespaces" -}}
{{- if kindIs "string" .Values.scope -}}
{{- if eq .Values.scope "namespace" -}}
{{- list (default .Release.Namespace .Values.watchNamespace) | toJson -}}
{{- else -}}[]{{- end -}}
{{- else if and (kindIs "map" .Values.scope) (kindIs "slice" .Values.scope.namespaces) -}}
{{- .Values.scope.namespaces | uniq | sortAlpha | toJson -}}
{{- else -}}[]{{- end -}}
{{- end -}}

{{- define "ferry.namespaced" -}}
{{- if include "ferry.servedNamespaces" . | fromJsonArray -}}true{{- end -}}
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

{{/* The --generic-target-kinds value: Kind for the core group, group/Kind otherwise. */}}
{{- define "ferry.genericTargetKinds" -}}
{{- $kinds := list -}}
{{- range .Values.genericTargets.kinds -}}
{{- $kinds = append $kinds (ternary .kind (printf "%s/%s" .group .kind) (eq .group "")) -}}
{{- end -}}
{{- join "," $kinds -}}
{{- end -}}

{{/* Fails rendering on values that cannot work, with what to change. */}}
{{- define "ferry.validate" -}}
{{- if kindIs "string" .Values.scope -}}
{{- if not (has .Values.scope (list "cluster" "namespace")) -}}
{{- fail (printf "scope must be scope.namespaces: [a, b] (or the older \"cluster\" or \"namespace\"), not %q" .Values.scope) -}}
{{- end -}}
{{- else if not (kindIs "map" .Values.scope) -}}
{{- fail "scope must be a map: scope.namespaces lists the namespaces Ferry serves, empty for every namespace" -}}
{{- else if not (kindIs "slice" (.Values.scope.namespaces | default list)) -}}
{{- fail "scope.namespaces must be a list of namespace names, e.g. --set 'scope.namespaces={team-a,team-b}'" -}}
{{- end -}}
{{- if and .Values.watchNamespace (not (and (kindIs "string" .Values.scope) (eq .Values.scope "namespace"))) -}}
{{- fail "watchNamespace is only used with scope=namespace: list the namespaces in scope.namespaces instead" -}}
{{- end -}}
{{- range include "ferry.servedNamespaces" . | fromJsonArray -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" (toString .)) -}}
{{- fail (printf "scope.namespaces: %q is not a namespace name" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if and (include "ferry.namespaced" .) .Values.rollout.namespaceSelector -}}
{{- fail "rollout.namespaceSelector reads Namespaces, which a Ferry limited to scope.namespaces may not: leave it empty, the listed namespaces are the selection" -}}
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
{{- if and .Values.sharding.enabled (not .Values.leaderElection.enabled) -}}
{{- fail "sharding.enabled needs leaderElection.enabled=true: cluster-scoped work stays with one elected replica" -}}
{{- end -}}
{{- if and .Values.genericTargets.enabled (not .Values.genericTargets.kinds) -}}
{{- fail "genericTargets.enabled needs genericTargets.kinds: list each kind Ferry may write as {group, kind, resource}, e.g. {group: \"\", kind: ConfigMap, resource: configmaps}" -}}
{{- end -}}
{{- range .Values.genericTargets.kinds -}}
{{- if not (and (kindIs "map" .) .kind .resource (hasKey . "group")) -}}
{{- fail (printf "genericTargets.kinds: %v needs group (\"\" for the core group), kind and resource (the plural)" .) -}}
{{- end -}}
{{- end -}}
{{- if not (has .Values.sharding.key (list "namespace" "namespace-name")) -}}
{{- fail (printf "sharding.key must be \"namespace\" or \"namespace-name\", not %q" .Values.sharding.key) -}}
{{- end -}}
{{- end -}}
