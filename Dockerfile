# One image for every Sundial service; the command picks which (see docker-compose.yml):
#   npm run start:appview | start:firehose | start:scheduler | migrate
# Each service's start script bundles its TypeScript into dist/ (tools/build.mjs) and runs it with plain node; the
# image builds dist/ once, and the start scripts' rebuild at container start only refreshes it.

# Just the manifests, so `npm ci` below is cached until a dependency changes.
FROM node:20-bookworm-slim AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -name .npmrc -delete \
 && find . -type d -empty -delete

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

COPY --from=manifests /app ./
# Dev dependencies (the local test network, test runners) stay out of the production image.
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
RUN npm run build && mkdir -p /app/data && chown -R node:node /app/data /app/dist
USER node

EXPOSE 2584 2585 3100
STOPSIGNAL SIGTERM
CMD ["npm", "run", "start:appview"]
