# syntax=docker/dockerfile:1
# Multi-stage build: the TypeScript is compiled once (npm run build), the runtime image holds the
# compiled JavaScript and the production dependencies only, and runs as a non-root user.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` builds the web application on a developer's `npm ci`; here `npm run build` does it
# below, once web/ is copied (and the production stage has no tsx to run it with).
RUN npm pkg delete scripts.prepare && npm ci --no-fund --no-audit
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
COPY routes ./routes
COPY scripts ./scripts
COPY drizzle ./drizzle
# The web application (web/dist, precompressed) is built by `npm run build` too.
COPY web ./web
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm pkg delete scripts.prepare && npm ci --omit=dev --no-fund --no-audit

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 STORAGE_DIR=/data/files EMBEDDED_PG_DIR=/data/postgres ADMIN_TOKEN_FILE=/data/admin-token
# Two malloc arenas instead of eight per core: the threads that compress original records would
# otherwise each keep freed memory in an arena of their own (up to 35 MB of RSS in a large import).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
# OCR of scanned PDF pages: pdftoppm renders a page, tesseract reads it (English and French).
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra poppler-utils \
  && rm -rf /var/lib/apt/lists/*
RUN groupadd --system analylit && useradd --system --gid analylit --home-dir /app analylit \
  && mkdir -p /data && chown analylit:analylit /data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
USER analylit
VOLUME ["/data"]
EXPOSE 3000
# No curl in the image: Node's own fetch checks liveness.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Idempotent init + seed, then the server (exec so that SIGTERM reaches Node).
CMD ["sh", "-c", "node dist/scripts/init-db.js && exec node dist/src/server.js"]
