# syntax=docker/dockerfile:1
# kubeloop: the manager (`kubeloop run <controller>|all`) and the cloud emulator
# (`kubeloop cloudsim`) in one image. Build: make image (docker build -t kubeloop:<version> .)
#
# Not in the image: the Kubernetes OpenAPI documents the built-in API server (`kubeloop
# apiserver` / `kubeloop dev`) serves. In a cluster the real API server is used, so they would
# only add weight; to run the built-in server from this image, mount them and point
# KUBELOOP_OPENAPI_DIR at them:
#   docker run -v $PWD/../shared/k8s-openapi:/openapi:ro -e KUBELOOP_OPENAPI_DIR=/openapi kubeloop:0.1.0 apiserver --bind 0.0.0.0

ARG NODE_IMAGE=node:20-slim

# ---- build: full dependency tree, TypeScript -> dist/
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY controllers ./controllers
RUN npm run build

# ---- production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOME=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/controllers ./dist/controllers
COPY package.json LICENSE* ./
# the distroless "nonroot" uid/gid: no shell account, matches the chart's runAsUser
USER 65532:65532
EXPOSE 8080 8081 8090
ENTRYPOINT ["node","dist/src/cli/main.js"]
CMD ["run","all"]
