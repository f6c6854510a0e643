{{/* Release name, or release-chart when the release name does not contain the chart's (helm install flagger ... gives "flagger"). */}}
{{- define "flagger.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "flagger.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "flagger.labels" -}}
{{ include "flagger.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "flagger.serviceAccountName" -}}
{{- default (include "flagger.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The Secret holding notification URLs: the user's, or the chart's when a URL is given in values. */}}
{{- define "flagger.secretName" -}}
{{- default (include "flagger.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "flagger.hasSecret" -}}
{{- if or .Values.existingSecret .Values.slack.url .Values.msteams.url .Values.eventWebhook -}}true{{- end -}}
{{- end -}}

{{/* The Lease lives in the watched namespace when -namespace is set, else in the release's. */}}
{{- define "flagger.leaseNamespace" -}}
{{- default .Release.Namespace .Values.namespace -}}
{{- end -}}

{{/*
What the operator reads and writes; the same rules as deploy/kustomize/rbac.yaml and the table in
docs/security.md (a test keeps the three equal). Nothing is ever deleted.
*/}}
{{- define "flagger.rules" -}}
- apiGroups: ["flagger.app"]
  resources: ["canaries", "metrictemplates", "alertproviders"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["flagger.app"]
  resources: ["canaries"]
  verbs: ["patch"]
- apiGroups: ["flagger.app"]
  resources: ["canaries/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["flagger.app"]
  resources: ["metrictemplates/status", "alertproviders/status"]
  verbs: ["patch"]
- apiGroups: ["apps"]
  resources: ["deployments", "daemonsets"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: [""]
  resources: ["configmaps", "secrets"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["get", "create", "patch"]
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices", "destinationrules"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "create", "update"]
{{- end -}}
