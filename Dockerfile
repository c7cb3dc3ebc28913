# tollgate's services (gateway, ingest) for docker-compose.yml. The CLI runs the TypeScript sources
# through tsx, so the image is the repository with its runtime dependencies.
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npm install --omit=dev --no-audit --no-fund
ENTRYPOINT ["node", "cli/bin/tollgate.mjs"]
