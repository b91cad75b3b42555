import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import path from 'node:path'

/**
 * Every environment variable the service reads, in one schema. The boot
 * validates it before anything else so a bad value stops the process with
 * a message naming the variable, instead of failing later at first use.
 */
const HttpUrl = Type.String({ pattern: '^https?://' })

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
  /** How long to wait for a database connection (new, or free in the pool) before answering 503. */
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100 }),
  /** Longest statement of an API request (0: none); background jobs and migrations are not bounded. */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ default: 30000, minimum: 0 }),
  EMBEDDED_PG_DIR: Type.String({ default: './data/postgres' }),
  EMBEDDED_PG_PORT: Type.Integer({ default: 54329, minimum: 1, maximum: 65535 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  QUEUE_PREFIX: Type.String({ default: 'analylit', minLength: 1 }),
  /** Concurrency of the in-process job runner, and of each BullMQ worker process. */
  JOB_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 64 }),
  /** BullMQ lock duration: how long before a job held by a dead worker is considered stalled. */
  JOB_LOCK_MS: Type.Integer({ default: 30000, minimum: 500 }),
  JOB_STALLED_INTERVAL_MS: Type.Integer({ default: 30000, minimum: 500 }),
  /** How long a request waits for Redis to accept a task before answering 503 (BullMQ mode). */
  ENQUEUE_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 100 }),
  /** How often queued tasks missing from the BullMQ queue are enqueued again (also at start and when Redis reconnects). */
  RECONCILE_INTERVAL_MS: Type.Integer({ default: 30000, minimum: 100 }),
  /** How long SIGTERM waits for running jobs before closing anyway. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 30000, minimum: 0 }),
  /** Runs of one task whose process died before it ended, after which the task is failed instead of run again. */
  TASK_MAX_ATTEMPTS: Type.Integer({ default: 3, minimum: 1, maximum: 100 }),
  STORAGE_DIR: Type.String({ default: './data/files' }),
  UPLOAD_MAX_BYTES: Type.Integer({ default: 200 * 1024 * 1024, minimum: 1024 }),
  /** Limits on what one upload may make the importer read (src/references/limits.ts). */
  IMPORT_MAX_INFLATED_BYTES: Type.Integer({ default: 512 * 1024 * 1024, minimum: 1024, maximum: 4 * 1024 * 1024 * 1024 - 1 }),
  IMPORT_MAX_ROWS: Type.Integer({ default: 1_000_000, minimum: 1 }),
  IMPORT_MAX_CELLS: Type.Integer({ default: 10_000_000, minimum: 1 }),
  IMPORT_MAX_CELL_CHARS: Type.Integer({ default: 1_000_000, minimum: 100 }),
  IMPORT_MAX_RECORD_CHARS: Type.Integer({ default: 4_000_000, minimum: 1000 }),
  /** Comma-separated allowed origins; empty means cross-origin requests are refused. */
  CORS_ORIGINS: Type.String({ default: '' }),
  ADMIN_EMAIL: Type.String({ default: 'admin@localhost' }),
  // Web application: sign-in sessions, password links, static files (src/auth/sessions.ts, plugins/web.ts).
  /** The address users reach the service at, for password links; unset: the address of the request (init-db: http://HOST:PORT). */
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+/?$' })),
  /** Behind a reverse proxy: trust X-Forwarded-Proto/-For (https → Secure cookie; client IP for rate limits). */
  TRUST_PROXY: Type.Boolean({ default: false }),
  SESSION_IDLE_HOURS: Type.Integer({ default: 24 * 7, minimum: 1 }),
  SESSION_MAX_HOURS: Type.Integer({ default: 24 * 30, minimum: 1 }),
  PASSWORD_LINK_HOURS: Type.Integer({ default: 72, minimum: 1 }),
  /** The SPA's build output served at /. */
  WEB_DIST_DIR: Type.String({ default: './web/dist' }),
  // Bibliographic databases (public defaults apply when unset; see src/connectors/registry.ts).
  CONTACT_EMAIL: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' })),
  NCBI_TOOL: Type.Optional(Type.String({ minLength: 1 })),
  NCBI_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  PUBMED_BASE_URL: Type.Optional(HttpUrl),
  NCBI_IDCONV_BASE_URL: Type.Optional(HttpUrl),
  EUROPE_PMC_BASE_URL: Type.Optional(HttpUrl),
  CROSSREF_BASE_URL: Type.Optional(HttpUrl),
  OPENALEX_BASE_URL: Type.Optional(HttpUrl),
  OPENALEX_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  SEMANTIC_SCHOLAR_BASE_URL: Type.Optional(HttpUrl),
  SEMANTIC_SCHOLAR_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  ARXIV_BASE_URL: Type.Optional(HttpUrl),
  UNPAYWALL_BASE_URL: Type.Optional(HttpUrl),
  /** Let URL imports and full-text downloads reach private and loopback addresses (tests, intranets). */
  ALLOW_PRIVATE_DOWNLOADS: Type.Boolean({ default: false }),
  /** Largest PDF downloaded from an open-access location, or read by the text extraction. */
  FULLTEXT_MAX_BYTES: Type.Integer({ default: 50 * 1024 * 1024, minimum: 1024 }),
  /** Text extraction (src/fulltext): deadline per PDF (OCR included), most pages, worker heap; OCR language(s) or `off`. */
  FULLTEXT_TIMEOUT_MS: Type.Integer({ default: 120000, minimum: 1 }),
  FULLTEXT_MAX_PAGES: Type.Integer({ default: 2000, minimum: 1 }),
  FULLTEXT_MEMORY_MB: Type.Integer({ default: 512, minimum: 32, maximum: 16384 }),
  FULLTEXT_OCR_LANGUAGE: Type.String({ default: 'eng', pattern: '^(off|[a-z_]{3,}(\\+[a-z_]{3,})*)$' }),
  /** ZIP archives of PDFs and Zotero exports (src/fulltext/zip.ts): total uncompressed size, entries, compression ratio of an entry. */
  ZIP_MAX_UNCOMPRESSED_BYTES: Type.Integer({ default: 4 * 1024 * 1024 * 1024, minimum: 1024 }),
  ZIP_MAX_ENTRIES: Type.Integer({ default: 10000, minimum: 1 }),
  ZIP_MAX_RATIO: Type.Integer({ default: 100, minimum: 2 }),
  // Local LLM (Ollama) for screening and extraction.
  OLLAMA_BASE_URL: Type.String({ default: 'http://127.0.0.1:11434', pattern: '^https?://' }),
  OLLAMA_TIMEOUT_MS: Type.Integer({ default: 120000, minimum: 1000 }),
  LLM_CONCURRENCY: Type.Integer({ default: 2, minimum: 1, maximum: 32 }),
  /** Chat over the full texts (src/rag): embedding and answering models (empty: lexical retrieval only / no default), chunking, retrieval, answer deadline. */
  RAG_EMBEDDING_MODEL: Type.String({ default: '' }),
  RAG_CHAT_MODEL: Type.String({ default: '' }),
  RAG_CHUNK_SIZE: Type.Integer({ default: 1200, minimum: 20, maximum: 20000 }),
  RAG_CHUNK_OVERLAP: Type.Integer({ default: 200, minimum: 0, maximum: 10000 }),
  RAG_CHUNK_UNIT: Type.Union([Type.Literal('chars'), Type.Literal('words')], { default: 'chars' }),
  RAG_TOP_K: Type.Integer({ default: 8, minimum: 1, maximum: 50 }),
  RAG_CHAT_TIMEOUT_MS: Type.Integer({ default: 120000, minimum: 1000 }),
  /** Memory of each process for the int8 codes of the exact vector search without pgvector (src/services/rag-exact.ts); a larger project is streamed. */
  RAG_VECTOR_CACHE_BYTES: Type.Integer({ default: 256 * 1024 * 1024, minimum: 0 }),
  ADMIN_TOKEN_FILE: Type.String({ default: './data/admin-token' }),
  /** How far the JavaScript heap may grow past the live data between full collections, in percent (0: V8 decides); see src/runtime.ts. */
  HEAP_GROWTH_PERCENT: Type.Integer({ default: 10, minimum: 0, maximum: 1000 }),
  /** Memory for serialised article list pages, per web process (src/services/article-pages.ts; 0: none kept). */
  PAGE_CACHE_MAX_BYTES: Type.Integer({ default: 32 * 1024 * 1024, minimum: 0 })
})

export type Config = Static<typeof EnvSchema> & { rootDir: string }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const keysOfType = (type: string) => new Set(
  Object.entries(EnvSchema.properties).filter(([, s]) => (s as { type?: string }).type === type).map(([k]) => k)
)
const INTEGER_KEYS = keysOfType('integer')
const BOOLEAN_KEYS = keysOfType('boolean')

/** Validates an environment (process.env by default) and returns typed configuration. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]
    if (value === undefined || value === '') continue
    if (INTEGER_KEYS.has(key) && /^-?\d+$/.test(value.trim())) raw[key] = Number(value)
    else if (BOOLEAN_KEYS.has(key) && /^(true|1|yes)$/i.test(value.trim())) raw[key] = true
    else if (BOOLEAN_KEYS.has(key) && /^(false|0|no)$/i.test(value.trim())) raw[key] = false
    else raw[key] = value
  }
  Object.assign(raw, overrides)
  const withDefaults = Value.Default(EnvSchema, raw)
  const errors = [...Value.Errors(EnvSchema, withDefaults)]
  if (errors.length > 0) {
    const messages = errors.map((e) => `${e.path.replace(/^\//, '') || '(root)'}: ${e.message} (got ${JSON.stringify(e.value)})`)
    throw new ConfigError(`Invalid configuration: ${[...new Set(messages)].join('; ')}`)
  }
  const config = withDefaults as Config
  config.rootDir = overrides.rootDir ?? process.cwd()
  for (const key of ['EMBEDDED_PG_DIR', 'STORAGE_DIR', 'ADMIN_TOKEN_FILE', 'WEB_DIST_DIR'] as const) {
    config[key] = path.resolve(config.rootDir, config[key])
  }
  return config
}
