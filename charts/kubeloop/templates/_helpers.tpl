{{/* Chart name, overridable. */}}
{{- define "kubeloop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "kubeloop.fullname" -}}
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

{{- define "kubeloop.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeloop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubeloop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kubeloop.labels" -}}
helm.sh/chart: {{ include "kubeloop.chart" . }}
{{ include "kubeloop.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kubeloop.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kubeloop.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kubeloop.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* "true" when the manager must run leader election: asked for, or more than one replica. */}}
{{- define "kubeloop.leaderElect" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) -}}true{{- end -}}
{{- end -}}

{{/* Names of the enabled controllers, in `kubeloop run` spelling. */}}
{{- define "kubeloop.enabledControllers" -}}
{{- $c := .Values.controllers -}}
{{- $names := list -}}
{{- if $c.acrCredentialHelper.enabled }}{{ $names = append $names "acr-credential-helper" }}{{ end -}}
{{- if $c.route.enabled }}{{ $names = append $names "route" }}{{ end -}}
{{- if $c.logConfig.enabled }}{{ $names = append $names "log-config" }}{{ end -}}
{{- if $c.clusterAutoscaler.enabled }}{{ $names = append $names "cluster-autoscaler" }}{{ end -}}
{{- join "," $names -}}
{{- end -}}

{{- define "kubeloop.cloudsim.fullname" -}}
{{- printf "%s-cloudsim" (include "kubeloop.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeloop.cloudsim.secretName" -}}
{{- printf "%s-cloudsim-credentials" (include "kubeloop.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeloop.cloudsim.url" -}}
{{- printf "http://%s.%s.svc:%d" (include "kubeloop.cloudsim.fullname" .) .Release.Namespace (int .Values.cloudsim.port) -}}
{{- end -}}

{{/*
Cloud credentials of the manager container: env entries (never literal keys).
cloudsim on -> the generated Secret; mode secret -> the user's Secret; mode rrsa -> OIDC env.
*/}}
{{- define "kubeloop.cloudEnv" -}}
- name: ALIBABA_CLOUD_REGION_ID
  value: {{ .Values.cloud.regionId | quote }}
{{- if .Values.cloudsim.enabled }}
- name: KUBELOOP_CLOUD_EMULATOR
  {{- if .Values.cloudsim.localProxy }}
  value: {{ printf "http://127.0.0.1:%d" (int .Values.cloudsim.port) | quote }}
  {{- else }}
  value: {{ include "kubeloop.cloudsim.url" . | quote }}
  {{- end }}
- name: ALIBABA_CLOUD_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ include "kubeloop.cloudsim.secretName" . }}
      key: access-key-id
- name: ALIBABA_CLOUD_ACCESS_KEY_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "kubeloop.cloudsim.secretName" . }}
      key: access-key-secret
{{- else }}
{{- $cred := .Values.cloud.credentials }}
{{- if eq $cred.mode "secret" }}
{{- $name := required "cloud.credentials.secret.name is required when cloud.credentials.mode=secret (create the Secret first, or set cloudsim.enabled=true)" $cred.secret.name }}
- name: ALIBABA_CLOUD_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ $cred.secret.accessKeyIdKey }}
- name: ALIBABA_CLOUD_ACCESS_KEY_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ $cred.secret.accessKeySecretKey }}
{{- else if eq $cred.mode "rrsa" }}
- name: ALIBABA_CLOUD_ROLE_ARN
  value: {{ required "cloud.credentials.rrsa.roleArn is required when cloud.credentials.mode=rrsa" $cred.rrsa.roleArn | quote }}
- name: ALIBABA_CLOUD_OIDC_PROVIDER_ARN
  value: {{ required "cloud.credentials.rrsa.oidcProviderArn is required when cloud.credentials.mode=rrsa" $cred.rrsa.oidcProviderArn | quote }}
- name: ALIBABA_CLOUD_OIDC_TOKEN_FILE
  value: {{ printf "%s/token" $cred.rrsa.tokenMountPath | quote }}
{{- end }}
{{- range $svc, $url := .Values.cloud.endpoints }}
{{- if $url }}
- name: {{ printf "ALIBABA_CLOUD_%s_ENDPOINT" (upper $svc) }}
  value: {{ $url | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "kubeloop.rrsa" -}}
{{- if and (not .Values.cloudsim.enabled) (eq .Values.cloud.credentials.mode "rrsa") -}}true{{- end -}}
{{- end -}}

{{/*
The manager Deployments ("units"), as YAML {units: [{name, command, controllers, leaseName}]}:
layout single -> one unit running `run all` (all four enabled) or `run <name>` (one enabled);
layout perController -> one unit per enabled controller.
*/}}
{{- define "kubeloop.units" -}}
{{- $fullname := include "kubeloop.fullname" . -}}
{{- $enabled := list -}}
{{- with include "kubeloop.enabledControllers" . }}{{ $enabled = splitList "," . }}{{ end -}}
{{- if not $enabled -}}
{{- fail "no controller is enabled: set controllers.<name>.enabled=true for at least one" -}}
{{- end -}}
{{- $units := list -}}
{{- if eq .Values.layout "perController" -}}
{{- range $enabled -}}
{{- $units = append $units (dict "name" (printf "%s-%s" $fullname . | trunc 63 | trimSuffix "-") "command" . "controllers" (list .) "leaseName" (printf "%s-%s" $.Values.leaderElection.leaseName .)) -}}
{{- end -}}
{{- else -}}
{{- $command := "all" -}}
{{- if eq (len $enabled) 1 -}}
{{- $command = first $enabled -}}
{{- else if lt (len $enabled) 4 -}}
{{- fail (printf "layout=single runs all four controllers (`kubeloop run all`) or exactly one; %s are enabled: set layout=perController" (join ", " $enabled)) -}}
{{- end -}}
{{- $units = list (dict "name" $fullname "command" $command "controllers" $enabled "leaseName" .Values.leaderElection.leaseName) -}}
{{- end -}}
{{- toYaml (dict "units" $units) -}}
{{- end -}}

{{/*
Flags of one controller, as `kubeloop run` list items. Booleans are passed only when they
differ from the default: `--flag` when it defaults to off, `--flag=false` when it defaults to on.
Call with (dict "root" $ "name" "<controller>").
*/}}
{{- define "kubeloop.controllerArgs" -}}
{{- $c := .root.Values.controllers -}}
{{- if eq .name "acr-credential-helper" }}
- --acr-configmap-name=acr-configuration
- --acr-configmap-namespace=kube-system
{{- if $c.acrCredentialHelper.recreateStuckPods }}
- --recreate-stuck-pods=true
{{- end }}
{{- if $c.acrCredentialHelper.config.webhook.enable }}
- --acr-webhook
- --webhook-cert-dir={{ include "kubeloop.acrWebhook.certDir" .root }}
{{- end }}
{{- else if eq .name "route" }}
{{- with $c.route }}
- --cluster-cidr={{ required "controllers.route.clusterCIDR is required when the route controller is enabled" .clusterCIDR }}
{{- with .routeTableIDs }}
- --route-table-ids={{ join "," . }}
{{- end }}
{{- if not .configureCloudRoutes }}
- --configure-cloud-routes=false
{{- end }}
{{- with .clusterName }}
- --cluster-name={{ . }}
{{- end }}
{{- with .vpcId }}
- --vpc-id={{ . }}
{{- end }}
- --route-reconciliation-period={{ .reconciliationPeriod }}
- --route-reconcile-batch-size={{ .batchSize }}
- --node-event-aggregation-wait-seconds={{ .nodeEventAggregationWaitSeconds }}
{{- if .dryRun }}
- --dry-run
{{- end }}
{{- end }}
{{- else if eq .name "log-config" }}
{{- with $c.logConfig }}
- --log-config-configmap=alibaba-log-configuration
- --log-config-configmap-namespace=kube-system
- --log-config-drift-check-period={{ .driftCheckPeriod }}
- --log-config-backoff-base={{ .backoffBase }}
- --log-config-backoff-max={{ .backoffMax }}
- --log-config-max-concurrent-reconciles={{ .maxConcurrentReconciles }}
{{- end }}
{{- else if eq .name "cluster-autoscaler" }}
{{- with $c.clusterAutoscaler }}
{{- if not (or .nodes .nodeGroupAutoDiscovery) }}
{{- fail "controllers.clusterAutoscaler needs node groups: nodes ([{min, max, id}]) or nodeGroupAutoDiscovery ([tag:<key>=<value>])" }}
{{- end }}
{{- range .nodes }}
- --nodes={{ .min }}:{{ .max }}:{{ .id }}
{{- end }}
{{- range .nodeGroupAutoDiscovery }}
- --node-group-auto-discovery={{ . }}
{{- end }}
- --expander={{ .expander }}
- --scan-interval={{ .scanInterval }}
- --max-nodes-total={{ .maxNodesTotal }}
- --max-node-provision-time={{ .maxNodeProvisionTime }}
{{- if not .scaleDown.enabled }}
- --scale-down-enabled=false
{{- end }}
- --scale-down-utilization-threshold={{ .scaleDown.utilizationThreshold }}
- --scale-down-unneeded-time={{ .scaleDown.unneededTime }}
- --scale-down-delay-after-add={{ .scaleDown.delayAfterAdd }}
- --scale-down-delay-after-failure={{ .scaleDown.delayAfterFailure }}
- --autoscaler-namespace=kube-system
{{- end }}
{{- end }}
{{- end -}}

{{/*
Sidecar of the manager pods with cloudsim.localProxy: forwards 127.0.0.1:<port> to the emulator
Service. The SLS SDK puts the project into the host name (<project>.sls.kubeloop.local), which
src/cloud resolves to loopback in emulator mode; through this proxy those calls, like all others,
reach the one emulator of the release.
*/}}
{{- define "kubeloop.cloudsim.proxyContainer" -}}
- name: cloudsim-proxy
  image: {{ include "kubeloop.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command:
    - node
    - -e
    - |
      const net = require('node:net');
      const port = Number(process.env.PROXY_PORT), host = process.env.UPSTREAM_HOST;
      net.createServer((client) => {
        const upstream = net.connect(port, host);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.pipe(upstream).pipe(client);
      }).listen(port, '127.0.0.1', () => console.log(`cloudsim proxy 127.0.0.1:${port} -> ${host}:${port}`));
      process.on('SIGTERM', () => process.exit(0));
  env:
    - name: PROXY_PORT
      value: {{ .Values.cloudsim.port | quote }}
    - name: UPSTREAM_HOST
      value: {{ printf "%s.%s.svc" (include "kubeloop.cloudsim.fullname" .) .Release.Namespace | quote }}
  readinessProbe:
    tcpSocket:
      port: {{ .Values.cloudsim.port }}
    periodSeconds: 10
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    requests: {cpu: 5m, memory: 32Mi}
    limits: {memory: 64Mi}
{{- end -}}

{{/* The ACR credential helper's webhook mode: names shared by acr-webhook.yaml and the Deployment. */}}
{{- define "kubeloop.acrWebhook.name" -}}
{{- printf "%s-acr-webhook" (include "kubeloop.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubeloop.acrWebhook.certDir" -}}
/var/run/kubeloop/acr-webhook-certs
{{- end -}}

{{/* "true" when the chart serves the ACR helper's webhooks (the ConfigMap's webhook-configuration enable). */}}
{{- define "kubeloop.acrWebhook.enabled" -}}
{{- $acr := .Values.controllers.acrCredentialHelper -}}
{{- if and $acr.enabled $acr.config.webhook.enable -}}true{{- end -}}
{{- end -}}
