# kubeloop developer targets. `make help` lists them.
.PHONY: help install build test lint bench dev clean

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install: ## install dependencies exactly as locked
	npm ci

build: ## compile TypeScript to dist/
	npm run build

test: ## build, check layering, run every test
	npm test

lint: build ## type-check and enforce the layering rules of DESIGN.md
	npm run lint

bench: build ## run all benchmarks (or: npm run bench -- <name>)
	@for b in $$(ls dist/bench/*.js | xargs -n1 basename | sed 's/\.js$$//' | grep -v '^run$$' | grep -v '^_'); do npm run --silent bench -- $$b; done

dev: build ## run the built-in API server, simulated cluster, cloud emulator and controllers
	node dist/bundle/cli/main.js dev

clean: ## remove build output
	rm -rf dist

# ---- container image, kind and Helm (docs/kind.md) ----
# docker, kind and helm are not needed for `make test`: the chart is rendered and checked
# without them (e2e/chart). Each target below stops at once, with where to get the tool, when
# its tool is missing.
.PHONY: image kind-up kind-down kind-load helm-install helm-uninstall helm-lint helm-template chart-crds chart-rbac chart-webhooks chart-test e2e-kind e2e-kind-install e2e-kind-test kind-logs e2e-external

VERSION ?= $(shell node -p "require('./package.json').version" 2>/dev/null || echo latest)
IMAGE ?= kubeloop:$(VERSION)
KIND_CLUSTER ?= kubeloop
KIND_CONFIG ?= e2e/chart/kind-config.yaml
KIND_KUBECONFIG ?= $(CURDIR)/.kind-kubeconfig
HELM_RELEASE ?= kubeloop
HELM_NAMESPACE ?= kubeloop-system
# extra `helm upgrade --install` arguments, e.g. HELM_ARGS="--set cloudsim.enabled=true"
HELM_ARGS ?=
# the chart values of the e2e install: the emulator in the cluster, short periods
E2E_VALUES ?= e2e/external/values.yaml
# where `make kind-logs` collects the cluster's and the pods' logs
KIND_LOGS ?= $(CURDIR)/.kind-logs

# $(call require,tool,where to get it): fail fast when `tool` is not on the PATH
require = @command -v $(1) >/dev/null 2>&1 || { echo "$(1) not found: install it from $(2) — make $@ needs it" >&2; exit 127; }

image: ## build the container image (IMAGE=kubeloop:<version>; needs docker)
	$(call require,docker,https://docs.docker.com/engine/install/)
	docker build -t $(IMAGE) .

kind-up: ## create the kind cluster (KIND_CLUSTER=kubeloop): pod subnet 10.244.0.0/16, node CIDR allocation (needs kind)
	$(call require,kind,https://kind.sigs.k8s.io/)
	kind create cluster --name $(KIND_CLUSTER) --config $(KIND_CONFIG) --kubeconfig $(KIND_KUBECONFIG)
	@echo "kubeconfig: $(KIND_KUBECONFIG)  (export KUBECONFIG=$(KIND_KUBECONFIG))"

kind-down: ## delete the kind cluster (needs kind)
	$(call require,kind,https://kind.sigs.k8s.io/)
	kind delete cluster --name $(KIND_CLUSTER)
	rm -f $(KIND_KUBECONFIG)

kind-load: ## load the image into the kind cluster's nodes (needs kind and docker)
	$(call require,kind,https://kind.sigs.k8s.io/)
	$(call require,docker,https://docs.docker.com/engine/install/)
	kind load docker-image $(IMAGE) --name $(KIND_CLUSTER)

helm-install: ## install or upgrade the chart into kubeloop-system (needs helm; HELM_ARGS adds --set/-f)
	$(call require,helm,https://helm.sh/docs/intro/install/)
	@$(MAKE) --no-print-directory chart-crds
	helm upgrade --install $(HELM_RELEASE) charts/kubeloop --namespace $(HELM_NAMESPACE) --create-namespace \
	  $(if $(wildcard $(KIND_KUBECONFIG)),--kubeconfig $(KIND_KUBECONFIG)) \
	  --set image.repository=$(firstword $(subst :, ,$(IMAGE))) --set image.tag=$(lastword $(subst :, ,$(IMAGE))) \
	  --wait $(HELM_ARGS)

helm-uninstall: ## remove the release (CRDs stay, as Helm leaves crds/ alone)
	$(call require,helm,https://helm.sh/docs/intro/install/)
	helm uninstall $(HELM_RELEASE) --namespace $(HELM_NAMESPACE) $(if $(wildcard $(KIND_KUBECONFIG)),--kubeconfig $(KIND_KUBECONFIG))

helm-lint: ## helm lint --strict the chart with its default values and the tested variants (needs helm)
	$(call require,helm,https://helm.sh/docs/intro/install/)
	@$(MAKE) --no-print-directory chart-crds
	helm lint --strict charts/kubeloop
	helm lint --strict charts/kubeloop --set cloudsim.enabled=true
	helm lint --strict charts/kubeloop --set replicaCount=2 --set metrics.serviceMonitor.enabled=true
	helm lint --strict charts/kubeloop --set layout=perController --set controllers.logConfig.enabled=false
	helm lint --strict charts/kubeloop --set cloud.credentials.mode=rrsa \
	  --set cloud.credentials.rrsa.roleArn=acs:ram::1234567890:role/kubeloop \
	  --set cloud.credentials.rrsa.oidcProviderArn=acs:ram::1234567890:oidc-provider/ack-rrsa-c1

helm-template: ## render the chart with helm (needs helm)
	$(call require,helm,https://helm.sh/docs/intro/install/)
	helm template $(HELM_RELEASE) charts/kubeloop --namespace $(HELM_NAMESPACE) $(HELM_ARGS)

chart-crds: ## copy the generated crds/ into the chart (a test checks they are identical)
	@mkdir -p charts/kubeloop/crds
	@rm -f charts/kubeloop/crds/*.yaml
	@for f in crds/*.yaml; do [ -e "$$f" ] || continue; cp "$$f" charts/kubeloop/crds/; echo "copied $$f"; done

chart-rbac: ## regenerate the chart's RBAC rules from the controllers' declarations
	@npm run --silent build || echo "tsc reported errors (above); generating from what it emitted" >&2
	node dist/bundle/cli/main.js generate rbac --out charts/kubeloop/files/rbac/clusterrole.yaml

chart-webhooks: ## regenerate the chart's MutatingWebhookConfiguration (the ACR helper's webhook mode) from the declarations
	@npm run --silent build || echo "tsc reported errors (above); generating from what it emitted" >&2
	node dist/bundle/cli/main.js generate webhooks --out charts/kubeloop/files/webhook --name kubeloop-acr-webhook --service kubeloop-acr-webhook --namespace kubeloop-system

chart-test: build ## render and check the chart without helm (Go text/template + sprig)
	node scripts/run-tests.mjs e2e/chart

# The e2e sequence on kind, step by step exactly as .github/workflows/e2e-kind.yaml runs it
# (e2e/external/workflow.test.ts checks that the two agree): cluster, image, load, chart with
# the emulator, the suites in external mode. `make kind-logs` collects logs when it fails.
e2e-kind: ## create kind, build and load the image, install the chart with the emulator, run the e2e suites against it (needs docker, kind, helm, kubectl)
	$(call require,kind,https://kind.sigs.k8s.io/)
	$(call require,docker,https://docs.docker.com/engine/install/)
	$(call require,helm,https://helm.sh/docs/intro/install/)
	$(call require,kubectl,https://kubernetes.io/docs/tasks/tools/)
	$(MAKE) --no-print-directory kind-up
	$(MAKE) --no-print-directory image
	$(MAKE) --no-print-directory kind-load
	$(MAKE) --no-print-directory e2e-kind-install
	$(MAKE) --no-print-directory e2e-kind-test

e2e-kind-install: ## helm install the chart with the emulator and the e2e values (E2E_VALUES) into the kind cluster
	$(MAKE) --no-print-directory helm-install HELM_ARGS="-f $(E2E_VALUES) $(HELM_ARGS)"

e2e-kind-test: build ## run the e2e suites in external mode against the kind cluster and its emulator (scripts/e2e-kind.sh)
	$(call require,kubectl,https://kubernetes.io/docs/tasks/tools/)
	KUBECONFIG=$(KIND_KUBECONFIG) HELM_RELEASE=$(HELM_RELEASE) HELM_NAMESPACE=$(HELM_NAMESPACE) bash scripts/e2e-kind.sh

kind-logs: ## collect the kind cluster's logs, the release's pod logs and the Events into KIND_LOGS
	$(call require,kind,https://kind.sigs.k8s.io/)
	$(call require,kubectl,https://kubernetes.io/docs/tasks/tools/)
	@mkdir -p $(KIND_LOGS)
	-kind export logs $(KIND_LOGS)/kind --name $(KIND_CLUSTER)
	-kubectl --kubeconfig $(KIND_KUBECONFIG) get pods,deployments,services -A -o wide > $(KIND_LOGS)/objects.txt
	-kubectl --kubeconfig $(KIND_KUBECONFIG) get events -A --sort-by=.lastTimestamp > $(KIND_LOGS)/events.txt
	-kubectl --kubeconfig $(KIND_KUBECONFIG) -n $(HELM_NAMESPACE) logs -l app.kubernetes.io/instance=$(HELM_RELEASE) --all-containers --prefix --tail=-1 > $(KIND_LOGS)/release.log
	@echo "logs in $(KIND_LOGS)"

e2e-external: build ## run the e2e suites in external mode against a separate `kubeloop dev` whose controllers are `kubeloop run` processes (no docker)
	node dist/e2e/external/main.js
