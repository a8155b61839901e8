# syntax=docker/dockerfile:1
# kubeloop: the manager (`kubeloop run <controller>|all`), the cloud emulator (`kubeloop
# cloudsim`) and the built-in API server (`kubeloop apiserver`, its Kubernetes OpenAPI documents
# included) in one image. Build: make image (docker build -t kubeloop:<version> .)
#
# Two packages: the framework `kubeloop` (package.json, src/) and the workspace `@kubeloop/ack`
# (controllers/), which the `kubeloop` command loads as its CLI extension because /app's
# package.json lists the workspace.

ARG NODE_IMAGE=node:20-slim

# ---- build: full dependency tree, TypeScript -> dist/src and controllers/dist, bundled into
#      dist/bundle and controllers/dist/bundle (scripts/bundle-packages.mjs)
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY controllers/package.json ./controllers/package.json
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY controllers ./controllers
COPY scripts/build-console.mjs scripts/bundle-deps.mjs scripts/bundle-packages.mjs ./scripts/
RUN npm run build:packages

# ---- production dependencies only (node_modules/kubeloop and @kubeloop/ack are links into /app)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY controllers/package.json ./controllers/package.json
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOME=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/bundle ./dist/bundle
COPY --from=build /src/dist/console ./dist/console
COPY --from=build /src/src/apiserver/openapi/kubernetes-v1.32 ./src/apiserver/openapi/kubernetes-v1.32
COPY --from=build /src/controllers/dist/bundle ./controllers/dist/bundle
COPY --from=build /src/controllers/dist/console ./controllers/dist/console
COPY --from=build /src/controllers/dist/vendor ./controllers/dist/vendor
COPY controllers/package.json ./controllers/package.json
COPY package.json LICENSE ./
# the distroless "nonroot" uid/gid: no shell account, matches the chart's runAsUser
USER 65532:65532
EXPOSE 8080 8081 8090
ENTRYPOINT ["node","dist/bundle/cli/main.js"]
CMD ["run","all"]
