{{/*
Shared helpers. Every per-service template starts from "hms.services": the enabled
services, each merged over `defaults`, with the names and settings the templates need.
*/}}

{{/* Deep merge of two maps: `over` wins; maps merge key by key, anything else replaces.
(sprig's merge cannot be used: it treats false and 0 as "unset".) */}}
{{- define "hms.merge" -}}
{{- $out := dict -}}
{{- range $k, $v := .base }}{{ $_ := set $out $k $v }}{{ end -}}
{{- range $k, $v := .over -}}
{{- $b := get $.base $k -}}
{{- if and (kindIs "map" $v) (kindIs "map" $b) -}}
{{- $_ := set $out $k (include "hms.merge" (dict "base" $b "over" $v) | fromYaml) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* The enabled services as a map name -> settings (over defaults), plus:
fullname, component, imageRef. */}}
{{- define "hms.services" -}}
{{- $root := . -}}
{{- $out := dict -}}
{{- range $name, $raw := .Values.services -}}
{{- $svc := include "hms.merge" (dict "base" $root.Values.defaults "over" $raw) | fromYaml -}}
{{- if $svc.enabled -}}
{{- $_ := set $svc "name" $name -}}
{{- $_ := set $svc "fullname" (printf "%s-%s" $root.Release.Name $name | trunc 63 | trimSuffix "-") -}}
{{- $tag := $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- $_ := set $svc "imageRef" (printf "%s/%s:%s" $root.Values.image.repository $svc.image $tag) -}}
{{- $_ := set $out $name $svc -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{- define "hms.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: hms
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels of the release's objects that belong to no one service. */}}
{{- define "hms.chartLabels" -}}
{{ include "hms.commonLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of one service's objects. Call with (dict "root" $ "svc" $svc). */}}
{{- define "hms.labels" -}}
{{ include "hms.commonLabels" .root }}
{{ include "hms.selectorLabels" . }}
hms.dev/role: {{ .svc.role }}
{{- end -}}

{{- define "hms.selectorLabels" -}}
app.kubernetes.io/name: {{ .svc.name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The grace period: longer than the service's own shutdown bound. */}}
{{- define "hms.gracePeriod" -}}
{{- $s := .root.Values.shutdown -}}
{{- if eq .svc.role "edge" -}}
{{- /* drain, then nginx's worker_shutdown_timeout (10 s) */ -}}
{{- add (int .svc.drainSeconds) 10 (int $s.marginSeconds) -}}
{{- else -}}
{{- add (int $s.drainDelaySeconds) (int $s.timeoutSeconds) (int $s.marginSeconds) -}}
{{- end -}}
{{- end -}}

{{/* Container security context every container gets (Pod Security "restricted"). */}}
{{- define "hms.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "hms.podSecurityContext" -}}
runAsNonRoot: true
{{- if eq .svc.role "edge" }}
runAsUser: 101
runAsGroup: 101
fsGroup: 101
{{- else }}
runAsUser: {{ .root.Values.podSecurity.runAsUser }}
runAsGroup: {{ .root.Values.podSecurity.runAsGroup }}
fsGroup: {{ .root.Values.podSecurity.fsGroup }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* env entries taken from Secrets. Call with a secretEnv map. */}}
{{- define "hms.secretEnv" -}}
{{- range $key, $ref := . }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}

{{/* A service's plain settings (ConfigMap data): what the chart derives (ports, peers,
shutdown) overlaid by the service's own `env`. Call with (dict "root" $ "svc" $svc
"services" $services). */}}
{{- define "hms.configData" -}}
{{- $root := .root -}}{{- $svc := .svc -}}{{- $name := .svc.name -}}{{- $services := .services -}}
{{- $derived := dict -}}
{{- if eq $svc.role "edge" }}
{{- $gw := required "the edge needs an enabled gateway service" (get $services "gateway") -}}
{{- $_ := set $derived "HMS_NGINX_GATEWAY_HOST" (printf "%s-headless.%s.svc.cluster.local" $gw.fullname $root.Release.Namespace) -}}
{{- $_ := set $derived "HMS_NGINX_GATEWAY_PORT" (toString $gw.port) -}}
{{- $_ := set $derived "HMS_NGINX_PORT" (toString $svc.port) -}}
{{- $_ := set $derived "HMS_NGINX_DRAIN_SECONDS" (toString $svc.drainSeconds) -}}
{{- if $svc.resolver }}{{ $_ := set $derived "HMS_NGINX_RESOLVER" $svc.resolver }}{{ end -}}
{{- else }}
{{- $_ := set $derived "NODE_ENV" "production" -}}
{{- $_ := set $derived "LOG_LEVEL" $root.Values.logLevel -}}
{{- $_ := set $derived "OTEL_SERVICE_NAME" (printf "hms-%s" $name) -}}
{{- $_ := set $derived "OTEL_TRACES_EXPORTER" $root.Values.tracing.exporter -}}
{{- if $root.Values.tracing.otlpEndpoint }}{{ $_ := set $derived "OTEL_EXPORTER_OTLP_ENDPOINT" $root.Values.tracing.otlpEndpoint }}{{ end -}}
{{- $_ := set $derived "OTEL_TRACES_SAMPLER" $root.Values.tracing.sampler -}}
{{- $_ := set $derived "OTEL_TRACES_SAMPLER_ARG" (toString $root.Values.tracing.samplerArg) -}}
{{- $_ := set $derived "OPS_PORT" (toString $svc.opsPort) -}}
{{- $_ := set $derived "SHUTDOWN_TIMEOUT_MS" (toString (mul $root.Values.shutdown.timeoutSeconds 1000)) -}}
{{- $_ := set $derived "SHUTDOWN_DRAIN_DELAY_MS" (toString (mul $root.Values.shutdown.drainDelaySeconds 1000)) -}}
{{- if eq $svc.role "gateway" }}
{{- $_ := set $derived "HTTP_HOST" "0.0.0.0" -}}
{{- $_ := set $derived "HTTP_PORT" (toString $svc.port) -}}
{{- range $peerName, $peer := $services }}
{{- if eq $peer.role "backend" }}
{{- $_ := set $derived (printf "%s_GRPC_ADDRESS" (upper $peerName)) (printf "%s-headless:%v" $peer.fullname $peer.port) -}}
{{- end }}
{{- end }}
{{- else }}
{{- $_ := set $derived "GRPC_HOST" "0.0.0.0" -}}
{{- $_ := set $derived "GRPC_PORT" (toString $svc.port) -}}
{{- end }}
{{- /* Whoever may reach Kafka publishes or consumes: the gateway too (its outbox). */ -}}
{{- if has "kafka" $svc.egress }}{{ $_ := set $derived "KAFKA_BROKERS" $root.Values.kafka.brokers }}{{ end -}}
{{- end }}
{{- toYaml (merge (deepCopy ($svc.env | default dict)) $derived) -}}
{{- end -}}
