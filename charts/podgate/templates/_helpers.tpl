{{- define "podgate.fullname" -}}
{{- if contains "podgate" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-podgate" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "podgate.selectorLabels" -}}
app.kubernetes.io/name: podgate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "podgate.labels" -}}
{{ include "podgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "podgate.tlsSecretName" -}}
{{ include "podgate.fullname" . }}-tls
{{- end -}}

{{- define "podgate.certificateName" -}}
{{ include "podgate.fullname" . }}-serving-cert
{{- end -}}

{{/* Levels per mode: see values.yaml `mode`. */}}
{{- define "podgate.config" -}}
{{- $enforce := ternary .Values.level "privileged" (eq .Values.mode "enforce") -}}
{{- $warn := ternary "privileged" .Values.level (eq .Values.mode "audit") -}}
{{- $cfg := dict
  "defaults" (dict
    "enforce" $enforce "enforce-version" .Values.version
    "warn" $warn "warn-version" .Values.version
    "audit" .Values.level "audit-version" .Values.version)
  "exemptions" .Values.exemptions -}}
{{- $cfg = mergeOverwrite $cfg (deepCopy .Values.extraConfig) -}}
{{- if .Values.mutating.enabled -}}
{{- $mutation := get $cfg "mutation" | default dict -}}
{{- $_ := set $mutation "enabled" true -}}
{{- $_ := set $cfg "mutation" $mutation -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "podgate.namespaceSelector" -}}
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- toYaml (uniq (append (.Values.excludedNamespaces | default list) .Release.Namespace)) | nindent 8 }}
{{- end -}}
