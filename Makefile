# kubeloop developer targets. `make help` lists them.
.PHONY: help install build test lint bench dev clean

help: ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

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
	node dist/src/cli/main.js dev

clean: ## remove build output
	rm -rf dist
