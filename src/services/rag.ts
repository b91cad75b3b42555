/**
 * Chat over the full texts in the database: the project's retrieval settings,
 * the chunk index (cut, embedded, replaced one file at a time in a
 * transaction), hybrid retrieval (PostgreSQL full-text ranking fused with
 * cosine similarity: pgvector's HNSW index when the server has it, else an
 * exact two-stage search, src/services/rag-exact.ts), and conversations whose
 * answers cite verified passages.
 * Everything lives in PostgreSQL, so every process sees the same index and
 * history.
 */
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Config } from '../config.ts'
import type { Database } from '../db/index.ts'
import { articles, chatConversations, chatMessages, fullTextChunks, fullTextIndex, fullTextPages, fullTexts, ragSettings } from '../db/schema.ts'
import { Invalid, NotFound, UpstreamFailed } from '../errors.ts'
import {
  createOllamaClientFromConfig, ModelNotFoundError, normaliseModelName, OllamaTimeoutError, type ModelOptions, type OllamaClient
} from '../llm/ollama.ts'
import { checkChunkOptions, ChunkOptionsError, chunkingKey, chunkPages, type ChunkOptions, type ChunkUnit } from '../rag/chunk.ts'
import { buildChatMessages, RAG_PROMPT_VERSION, verifyCitations } from '../rag/prompt.ts'
import { encodeFloat4, quantise } from '../rag/vectors.ts'
import { nearestChunksExact } from './rag-exact.ts'

export interface RagSettings {
  /** null: no embeddings, retrieval is lexical only. */
  embeddingModel: string | null
  /** null: a message must name its model. */
  chatModel: string | null
  chunking: ChunkOptions
  topK: number
}

type RagConfig = Pick<Config, 'RAG_EMBEDDING_MODEL' | 'RAG_CHAT_MODEL' | 'RAG_CHUNK_SIZE' | 'RAG_CHUNK_OVERLAP' | 'RAG_CHUNK_UNIT' | 'RAG_TOP_K'>
  & Partial<Pick<Config, 'RAG_VECTOR_CACHE_BYTES'>>

/** The project's settings, each falling back to the configuration. */
export interface RagOverrides {
  embeddingModel: string | null; chatModel: string | null; chunkUnit: ChunkUnit | null
  chunkSize: number | null; chunkOverlap: number | null; topK: number | null
}

export async function readRagSettings(db: Database, config: RagConfig, projectId: string): Promise<RagSettings & { overrides: RagOverrides }> {
  const [row] = await db.select().from(ragSettings).where(eq(ragSettings.projectId, projectId))
  const embedding = row?.embeddingModel ?? config.RAG_EMBEDDING_MODEL
  const chat = row?.chatModel ?? config.RAG_CHAT_MODEL
  return {
    embeddingModel: embedding ? normaliseModelName(embedding) : null,
    chatModel: chat ? normaliseModelName(chat) : null,
    chunking: {
      unit: (row?.chunkUnit ?? config.RAG_CHUNK_UNIT) as ChunkUnit,
      size: row?.chunkSize ?? config.RAG_CHUNK_SIZE,
      overlap: row?.chunkOverlap ?? config.RAG_CHUNK_OVERLAP
    },
    topK: row?.topK ?? config.RAG_TOP_K,
    overrides: {
      embeddingModel: row?.embeddingModel ?? null, chatModel: row?.chatModel ?? null, chunkUnit: (row?.chunkUnit ?? null) as ChunkUnit | null,
      chunkSize: row?.chunkSize ?? null, chunkOverlap: row?.chunkOverlap ?? null, topK: row?.topK ?? null
    }
  }
}

export interface RagSettingsPatch {
  embeddingModel?: string | null
  chatModel?: string | null
  chunkUnit?: ChunkUnit | null
  chunkSize?: number | null
  chunkOverlap?: number | null
  topK?: number | null
}

/** Changes the project's settings (null: back to the configuration's default); the chunking must hold together. */
export async function updateRagSettings(db: Database, config: RagConfig, projectId: string, patch: RagSettingsPatch) {
  const current = (await readRagSettings(db, config, projectId)).overrides
  const next: RagOverrides = { ...current, ...patch }
  try {
    checkChunkOptions({
      unit: next.chunkUnit ?? config.RAG_CHUNK_UNIT, size: next.chunkSize ?? config.RAG_CHUNK_SIZE, overlap: next.chunkOverlap ?? config.RAG_CHUNK_OVERLAP
    })
  } catch (error) {
    if (error instanceof ChunkOptionsError) throw new Invalid(error.message, error.field === 'unit' ? 'chunkUnit' : error.field === 'size' ? 'chunkSize' : 'chunkOverlap')
    throw error
  }
  const values = {
    embeddingModel: next.embeddingModel, chatModel: next.chatModel, chunkUnit: next.chunkUnit,
    chunkSize: next.chunkSize, chunkOverlap: next.chunkOverlap, topK: next.topK, updatedAt: new Date()
  }
  await db.insert(ragSettings).values({ projectId, ...values }).onConflictDoUpdate({ target: ragSettings.projectId, set: values })
  return ragSettingsView(await readRagSettings(db, config, projectId))
}

export function ragSettingsView(settings: RagSettings & { overrides: RagOverrides }) {
  return {
    embeddingModel: settings.embeddingModel, chatModel: settings.chatModel, chunkUnit: settings.chunking.unit,
    chunkSize: settings.chunking.size, chunkOverlap: settings.chunking.overlap, topK: settings.topK, overrides: settings.overrides
  }
}

// ---------------------------------------------------------------------------
// The index

/** Does this database store embeddings in a pgvector column too (migration 0018 adds it when the server has pgvector)? */
const vectorColumn = new WeakMap<Database, Promise<boolean>>()
export function hasVectorColumn(db: Database): Promise<boolean> {
  let known = vectorColumn.get(db)
  if (!known) {
    known = db.execute<{ present: boolean }>(sql`SELECT EXISTS (SELECT 1 FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'full_text_chunks' AND column_name = 'embedding_vector') AS present`)
      .then((r) => r.rows[0]?.present === true)
    vectorColumn.set(db, known)
  }
  return known
}

/** Can HNSW scans go on past `hnsw.ef_search` rows until the filter keeps enough (pgvector 0.8)? */
const iterativeScans = new WeakMap<Database, Promise<boolean>>()
function hasIterativeScans(db: Database): Promise<boolean> {
  let known = iterativeScans.get(db)
  if (!known) {
    known = db.execute<{ yes: boolean }>(sql`SELECT coalesce((SELECT string_to_array(extversion, '.')::int[] >= '{0,8}' FROM pg_extension WHERE extname = 'vector'), false) AS yes`)
      .then((r) => r.rows[0]?.yes === true)
    iterativeScans.set(db, known)
  }
  return known
}

/** Extracted full texts linked to an article of the project, with how (and whether) each is indexed. */
async function indexedFiles(db: Database, projectId: string, fileIds?: string[]) {
  const linked = db.selectDistinct({ id: articles.fullTextFileId }).from(articles).where(eq(articles.projectId, projectId))
  return db.select({
    fileId: fullTexts.fileId, chunking: fullTextIndex.chunking, embeddingModel: fullTextIndex.embeddingModel,
    error: fullTextIndex.error, chunkCount: fullTextIndex.chunkCount
  }).from(fullTexts)
    .leftJoin(fullTextIndex, eq(fullTextIndex.fileId, fullTexts.fileId))
    .where(and(eq(fullTexts.projectId, projectId), eq(fullTexts.status, 'ok'), inArray(fullTexts.fileId, linked),
      ...(fileIds ? [inArray(fullTexts.fileId, fileIds)] : [])))
    .orderBy(asc(fullTexts.extractedAt), asc(fullTexts.fileId))
}

type IndexedFile = Awaited<ReturnType<typeof indexedFiles>>[number]

/** What a file needs: nothing, embeddings only (model changed or failed before), or cutting again. */
function needs(file: IndexedFile, settings: RagSettings): 'nothing' | 'embed' | 'chunk' {
  if (file.chunking === null || file.chunking !== chunkingKey(settings.chunking)) return 'chunk'
  if ((file.embeddingModel ?? null) !== settings.embeddingModel) return 'embed'
  if (settings.embeddingModel && file.error) return 'embed'
  return 'nothing'
}

/** The project's index: files extracted, indexed as the settings want, waiting; chunks and embedded chunks. */
export async function indexStatus(db: Database, config: RagConfig, projectId: string) {
  const settings = await readRagSettings(db, config, projectId)
  const files = await indexedFiles(db, projectId)
  const pending = files.filter((f) => needs(f, settings) !== 'nothing').length
  const [chunks] = await db.select({ total: count(), embedded: sql<number>`count(*) FILTER (WHERE ${fullTextChunks.embeddingModel} IS NOT NULL)::int` })
    .from(fullTextChunks).where(eq(fullTextChunks.projectId, projectId))
  return {
    files: files.length, indexed: files.length - pending, pending, errors: files.filter((f) => f.error).length,
    chunks: chunks.total, embeddedChunks: chunks.embedded,
    embeddingModel: settings.embeddingModel, chunking: chunkingKey(settings.chunking), vectorIndex: (await hasVectorColumn(db)) ? 'pgvector-hnsw' as const : 'exact' as const
  }
}

/** Scales a vector to unit length (a zero vector stays zero), so a dot product is the cosine similarity. */
export function unit(vector: number[]): number[] {
  const norm = Math.hypot(...vector)
  return norm === 0 ? vector : vector.map((x) => x / norm)
}

const EMBED_BATCH = 32

async function embedAll(client: OllamaClient, model: string, texts: string[], signal?: AbortSignal): Promise<number[][]> {
  const out: number[][] = []
  for (let i = 0; i < texts.length; i += EMBED_BATCH) {
    const { embeddings } = await client.embed({ model, input: texts.slice(i, i + EMBED_BATCH) }, { signal })
    out.push(...embeddings.map(unit))
  }
  return out
}

/**
 * Writes the embeddings of chunks (null: none) in every form retrieval reads:
 * float4, int8 codes with scale and residual, and pgvector's column when the
 * database has it.
 */
async function writeEmbeddings(tx: Pick<Database, 'execute'>, ids: number[], vectors: number[][] | null, model: string | null, pgvector: boolean) {
  const rows = ids.map((id, i) => {
    const vector = vectors?.[i]
    if (!vector) return sql`(${id}::bigint, NULL::bytea, NULL::bytea, NULL::real, NULL::real, NULL::text)`
    const q = quantise(vector)
    return sql`(${id}::bigint, ${encodeFloat4(vector)}::bytea, ${q.codes}::bytea, ${q.scale}::real, ${q.residual}::real, ${`[${vector.join(',')}]`}::text)`
  })
  await tx.execute(sql`UPDATE ${fullTextChunks} c SET embedding = v.embedding, embedding_codes = v.codes, embedding_scale = v.scale,
      embedding_residual = v.residual, embedding_model = ${model}${pgvector ? sql`, embedding_vector = v.vector::vector` : sql``}
    FROM (VALUES ${sql.join(rows, sql`, `)}) AS v(id, embedding, codes, scale, residual, vector) WHERE c.id = v.id`)
}

export interface IndexFileOutcome { fileId: string; articleIds: string[]; action: 'chunked' | 'embedded'; chunks: number; error?: string }

export interface IndexRunResult {
  requested: number
  indexed: number
  chunks: number
  embeddedChunks: number
  embeddingModel: string | null
  /** Files whose chunks could not be embedded (they are still searched lexically), with the reason. */
  errors: Array<{ fileId: string; articleIds: string[]; message: string }>
}

/**
 * Brings the index of the project's full texts (or of `fileIds`) up to the
 * settings: files never indexed, extracted again or cut differently are cut
 * again; files embedded with another model (or not at all) are embedded again.
 * Each file is replaced in one transaction. When embedding fails, the file's
 * chunks are stored without embeddings and the error is recorded (and the
 * next run tries again).
 */
export async function indexProject(
  deps: { db: Database; config: RagConfig & Pick<Config, 'OLLAMA_BASE_URL' | 'OLLAMA_TIMEOUT_MS'>; signal?: AbortSignal; client?: OllamaClient },
  projectId: string,
  options: { fileIds?: string[]; force?: boolean } = {},
  onFile?: (outcome: IndexFileOutcome, done: number, total: number) => Promise<void>
): Promise<IndexRunResult> {
  const { db } = deps
  const settings = await readRagSettings(db, deps.config, projectId)
  const client = deps.client ?? createOllamaClientFromConfig(deps.config)
  const files = (await indexedFiles(db, projectId, options.fileIds)).filter((f) => options.force || needs(f, settings) !== 'nothing')
  const pgvector = await hasVectorColumn(db)
  const result: IndexRunResult = { requested: files.length, indexed: 0, chunks: 0, embeddedChunks: 0, embeddingModel: settings.embeddingModel, errors: [] }
  /** Set once the model or the server is missing: the other files are not sent either. */
  let embedUnavailable: string | undefined
  const dimensionsSeen = new Set<number>()
  for (const file of files) {
    const articleIds = (await db.select({ id: articles.id }).from(articles)
      .where(and(eq(articles.projectId, projectId), eq(articles.fullTextFileId, file.fileId))).orderBy(asc(articles.id))).map((r) => r.id)
    const action = options.force || needs(file, settings) === 'chunk' ? 'chunk' : 'embed'
    const chunks = action === 'chunk'
      ? chunkPages(await db.select({ number: fullTextPages.page, text: fullTextPages.text }).from(fullTextPages)
          .where(eq(fullTextPages.fileId, file.fileId)).orderBy(asc(fullTextPages.page)), settings.chunking)
      : null
    const existing = chunks ? [] : await db.select({ id: fullTextChunks.id, text: fullTextChunks.text }).from(fullTextChunks)
      .where(eq(fullTextChunks.fileId, file.fileId)).orderBy(asc(fullTextChunks.ordinal))
    const texts = chunks ? chunks.map((c) => c.text) : existing.map((c) => c.text)
    let vectors: number[][] | null = null
    let error: string | undefined
    if (settings.embeddingModel && texts.length > 0) {
      if (embedUnavailable) {
        error = embedUnavailable
      } else {
        try {
          vectors = await embedAll(client, settings.embeddingModel, texts, deps.signal)
        } catch (e) {
          if (deps.signal?.aborted) throw e
          error = `embedding with ${settings.embeddingModel} failed: ${(e as Error).message}`
          if (e instanceof ModelNotFoundError || (e as Error).name === 'OllamaConnectionError') embedUnavailable = error
        }
      }
    }
    const model = vectors ? settings.embeddingModel : null
    const dimensions = vectors?.[0]?.length ?? null
    await db.transaction(async (tx) => {
      if (chunks) {
        await tx.delete(fullTextChunks).where(eq(fullTextChunks.fileId, file.fileId))
        for (let i = 0; i < chunks.length; i += 500) {
          await tx.insert(fullTextChunks).values(chunks.slice(i, i + 500).map((c) => ({
            fileId: file.fileId, projectId, page: c.page, ordinal: c.ordinal, startOffset: c.start, endOffset: c.end, text: c.text.replaceAll('\0', '')
          })))
        }
      }
      // New chunks without embeddings have nothing to write; existing ones lose theirs when embedding failed.
      if (vectors || !chunks) {
        const ids = chunks
          ? (await tx.select({ id: fullTextChunks.id }).from(fullTextChunks).where(eq(fullTextChunks.fileId, file.fileId)).orderBy(asc(fullTextChunks.ordinal))).map((r) => r.id)
          : existing.map((c) => c.id)
        for (let i = 0; i < ids.length; i += 500) await writeEmbeddings(tx, ids.slice(i, i + 500), vectors?.slice(i, i + 500) ?? null, model, pgvector)
      }
      const row = { projectId, chunking: chunkingKey(settings.chunking), embeddingModel: model, dimensions, chunkCount: texts.length, error: error ?? null, indexedAt: new Date() }
      await tx.insert(fullTextIndex).values({ fileId: file.fileId, ...row }).onConflictDoUpdate({ target: fullTextIndex.fileId, set: row })
    })
    if (pgvector && dimensions && !dimensionsSeen.has(dimensions)) {
      dimensionsSeen.add(dimensions)
      await db.execute(sql.raw(`CREATE INDEX IF NOT EXISTS full_text_chunks_hnsw_${dimensions} ON full_text_chunks
        USING hnsw ((embedding_vector::vector(${dimensions})) vector_cosine_ops) WHERE vector_dims(embedding_vector) = ${dimensions}`))
    }
    result.indexed++
    result.chunks += texts.length
    if (vectors) result.embeddedChunks += texts.length
    if (error) result.errors.push({ fileId: file.fileId, articleIds, message: error })
    await onFile?.({ fileId: file.fileId, articleIds, action: chunks ? 'chunked' : 'embedded', chunks: texts.length, ...(error ? { error } : {}) }, result.indexed, files.length)
  }
  return result
}

// ---------------------------------------------------------------------------
// Retrieval

/** Reciprocal rank fusion constant (Cormack et al. 2009). */
export const RRF_K = 60

export interface RetrievedChunk {
  chunkId: number
  articleId: string
  title: string
  fileId: string
  page: number
  text: string
  /** 1-based rank in each list (null: not in it), the cosine similarity, and the fused score. */
  lexicalRank: number | null
  vectorRank: number | null
  similarity: number | null
  score: number
}

export interface Retrieval {
  mode: 'hybrid' | 'lexical'
  embeddingModel: string | null
  /** Why the embeddings were not used although a model is set. */
  vectorError?: string
  chunks: RetrievedChunk[]
}

/**
 * The `topK` passages of the project's full texts for a question: chunks
 * ranked by ts_rank against the question's words (any of them), and by cosine
 * similarity of their embedding to the question's, fused by reciprocal rank
 * (score = Σ 1/(60 + rank)). Without an embedding model, or embedded chunks,
 * or an answering embedding server, the ranking is lexical alone.
 */
export async function retrieve(
  deps: { db: Database; config: RagConfig & Pick<Config, 'OLLAMA_BASE_URL' | 'OLLAMA_TIMEOUT_MS'>; client?: OllamaClient },
  projectId: string, q: string, options: { topK?: number } = {}
): Promise<Retrieval> {
  const { db } = deps
  const settings = await readRagSettings(db, deps.config, projectId)
  const topK = options.topK ?? settings.topK
  const depth = Math.max(50, topK * 5)
  const lexical = await db.execute<{ id: number }>(sql`
    WITH q AS (SELECT replace(plainto_tsquery('english', ${q})::text, ' & ', ' | ')::tsquery AS query)
    SELECT c.id::float8 AS id FROM q, ${fullTextChunks} c
    WHERE c.project_id = ${projectId} AND q.query <> ''::tsquery AND c.search @@ q.query
    ORDER BY ts_rank(c.search, q.query) DESC, c.id LIMIT ${depth}`)
  const lexicalIds = lexical.rows.map((r) => Number(r.id))

  let vectorIds: number[] = []
  const similarity = new Map<number, number>()
  let vectorError: string | undefined
  if (settings.embeddingModel) {
    const [dims] = await db.select({ dimensions: fullTextIndex.dimensions }).from(fullTextIndex)
      .where(and(eq(fullTextIndex.projectId, projectId), eq(fullTextIndex.embeddingModel, settings.embeddingModel))).limit(1)
    if (dims?.dimensions) {
      try {
        const client = deps.client ?? createOllamaClientFromConfig(deps.config)
        const [vector] = await embedAll(client, settings.embeddingModel, [q])
        if (vector.length !== dims.dimensions) throw new Error(`the question's embedding has ${vector.length} dimensions, the index ${dims.dimensions}`)
        const rows = await nearestChunks(db, projectId, settings.embeddingModel, vector, depth, deps.config.RAG_VECTOR_CACHE_BYTES)
        vectorIds = rows.map((r) => r.id)
        for (const r of rows) similarity.set(r.id, r.similarity)
      } catch (error) {
        vectorError = (error as Error).message
      }
    }
  }

  const fused = new Map<number, { lexicalRank: number | null; vectorRank: number | null; score: number }>()
  const add = (ids: number[], key: 'lexicalRank' | 'vectorRank') => ids.forEach((id, i) => {
    const entry = fused.get(id) ?? { lexicalRank: null, vectorRank: null, score: 0 }
    entry[key] = i + 1
    entry.score += 1 / (RRF_K + i + 1)
    fused.set(id, entry)
  })
  add(lexicalIds, 'lexicalRank')
  add(vectorIds, 'vectorRank')
  const best = [...fused.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, topK)
  const details = best.length === 0 ? [] : (await db.execute<{ id: number; article_id: string; title: string; file_id: string; page: number; text: string }>(sql`
    SELECT DISTINCT ON (c.id) c.id::float8 AS id, a.id AS article_id, a.title, c.file_id, c.page, c.text
    FROM ${fullTextChunks} c JOIN ${articles} a ON a.full_text_file_id = c.file_id AND a.project_id = c.project_id
    WHERE c.project_id = ${projectId} AND c.id = ANY(${`{${best.map(([id]) => id).join(',')}}`}::bigint[])
    ORDER BY c.id, a.id`)).rows
  const byId = new Map(details.map((d) => [Number(d.id), d]))
  const chunks = best.flatMap(([id, rank]) => {
    const d = byId.get(id)
    return d ? [{ chunkId: id, articleId: d.article_id, title: d.title, fileId: d.file_id, page: d.page, text: d.text, ...rank, similarity: similarity.get(id) ?? null }] : []
  })
  return { mode: vectorIds.length > 0 ? 'hybrid' : 'lexical', embeddingModel: settings.embeddingModel, ...(vectorError ? { vectorError } : {}), chunks }
}

/**
 * The `limit` chunks most similar to a vector (made unit length): pgvector's
 * HNSW index when present (approximate), else the exact two-stage search over
 * int8 codes and float4 (src/services/rag-exact.ts), which caches up to
 * `cacheBytes` of codes in this process.
 */
export async function nearestChunks(
  db: Database, projectId: string, model: string, vector: number[], limit: number, cacheBytes: number = DEFAULT_VECTOR_CACHE_BYTES
): Promise<Array<{ id: number; similarity: number }>> {
  const query = unit(vector)
  if (!(await hasVectorColumn(db))) return nearestChunksExact(db, cacheBytes, projectId, model, query, limit)
  const dims = sql.raw(String(Math.trunc(query.length)))
  const literal = `[${query.join(',')}]`
  // An HNSW scan returns at most hnsw.ef_search rows (40 by default) before the filter on the project
  // and model: enough for `limit` when the index holds this project alone; with other projects, pgvector
  // 0.8 scans on (in distance order) until the filter has kept enough.
  const iterative = await hasIterativeScans(db)
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('hnsw.ef_search', ${String(Math.min(1000, Math.max(40, limit * 4)))}, true)`)
    if (iterative) await tx.execute(sql`SELECT set_config('hnsw.iterative_scan', 'strict_order', true)`)
    const { rows } = await tx.execute<{ id: number; similarity: number }>(sql`
      SELECT id::float8 AS id, (1 - (embedding_vector::vector(${dims}) <=> ${literal}::vector(${dims})))::float8 AS similarity
      FROM ${fullTextChunks}
      WHERE project_id = ${projectId} AND embedding_model = ${model} AND vector_dims(embedding_vector) = ${dims}
      ORDER BY embedding_vector::vector(${dims}) <=> ${literal}::vector(${dims}), id LIMIT ${limit}`)
    return rows.map((r) => ({ id: Number(r.id), similarity: Number(r.similarity) }))
  })
}

/** Default of RAG_VECTOR_CACHE_BYTES. */
export const DEFAULT_VECTOR_CACHE_BYTES = 256 * 1024 * 1024

// ---------------------------------------------------------------------------
// Conversations

export interface Citation { chunkId: number; articleId: string; fileId: string; title: string; page: number; quote: string }

function messageView(row: typeof chatMessages.$inferSelect) {
  return {
    id: row.id, conversationId: row.conversationId, role: row.role as 'user' | 'assistant', content: row.content,
    citations: row.citations as Citation[], invalidCitations: row.invalidCitations as number[],
    retrieved: row.retrieved as Array<{ chunkId: number; articleId: string; page: number; lexicalRank: number | null; vectorRank: number | null; score: number }>,
    generation: (row.generation ?? null) as Record<string, unknown> | null,
    createdAt: row.createdAt.toISOString()
  }
}

function conversationView(row: typeof chatConversations.$inferSelect, messageCount: number) {
  return { id: row.id, projectId: row.projectId, userId: row.userId, title: row.title, messageCount, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }
}

const UNTITLED = 'New conversation'

export async function createConversation(db: Database, projectId: string, userId: string, title?: string) {
  const [row] = await db.insert(chatConversations).values({ projectId, userId, title: title?.trim() || UNTITLED }).returning()
  return conversationView(row, 0)
}

/** The caller's conversations in the project, most recently active first. */
export async function listConversations(db: Database, projectId: string, userId: string) {
  const rows = await db.select({ c: chatConversations, n: sql<number>`(SELECT count(*) FROM chat_messages m WHERE m.conversation_id = chat_conversations.id)::int` })
    .from(chatConversations).where(and(eq(chatConversations.projectId, projectId), eq(chatConversations.userId, userId)))
    .orderBy(desc(chatConversations.updatedAt), desc(chatConversations.id))
  return rows.map((r) => conversationView(r.c, r.n))
}

/** A conversation of the caller (another member's is not found: conversations are private). */
async function requireConversation(db: Database, projectId: string, userId: string, id: string) {
  const [row] = await db.select().from(chatConversations)
    .where(and(eq(chatConversations.id, id), eq(chatConversations.projectId, projectId), eq(chatConversations.userId, userId)))
  if (!row) throw new NotFound('conversation not found')
  return row
}

export async function listMessages(db: Database, projectId: string, userId: string, conversationId: string) {
  const conversation = await requireConversation(db, projectId, userId, conversationId)
  const rows = await db.select().from(chatMessages).where(eq(chatMessages.conversationId, conversationId)).orderBy(asc(chatMessages.createdAt), asc(chatMessages.role))
  return { conversation: conversationView(conversation, rows.length), messages: rows.map(messageView) }
}

export async function deleteConversation(db: Database, projectId: string, userId: string, conversationId: string): Promise<void> {
  await requireConversation(db, projectId, userId, conversationId)
  await db.delete(chatConversations).where(eq(chatConversations.id, conversationId))
}

/** Turns of the conversation sent back to the model with a new question. */
const HISTORY_MESSAGES = 6
/** Low temperature and a fixed seed: answers to one question over the same passages should not wander. */
export const RAG_CHAT_OPTIONS: ModelOptions = { temperature: 0.1, seed: 42 }
export const NO_PASSAGES_ANSWER = 'No passage of the project\'s full texts matches this question, so it cannot be answered from them. (Are the full texts extracted and indexed?)'

/**
 * Answers a question in a conversation, synchronously (within
 * RAG_CHAT_TIMEOUT_MS): retrieves the passages, asks the model with them and
 * the last turns, verifies the ids it cites, and stores the question and the
 * answer together in one transaction — or nothing, when the model fails.
 */
export async function postMessage(
  deps: { db: Database; config: Config; client?: OllamaClient },
  projectId: string, userId: string, conversationId: string,
  input: { content: string; model?: string; topK?: number }
) {
  const { db, config } = deps
  const conversation = await requireConversation(db, projectId, userId, conversationId)
  const settings = await readRagSettings(db, config, projectId)
  const model = input.model ? normaliseModelName(input.model) : settings.chatModel
  if (!model) throw new Invalid('no chat model: name one in "model", or set the project\'s chatModel (PUT …/chat/settings) or RAG_CHAT_MODEL', 'model')
  const client = deps.client ?? createOllamaClientFromConfig(config)
  const started = Date.now()
  const retrieval = await retrieve({ db, config, client }, projectId, input.content, { topK: input.topK })
  const history = (await db.select({ role: chatMessages.role, content: chatMessages.content }).from(chatMessages)
    .where(eq(chatMessages.conversationId, conversationId)).orderBy(desc(chatMessages.createdAt), desc(chatMessages.role)).limit(HISTORY_MESSAGES))
    .reverse() as Array<{ role: 'user' | 'assistant'; content: string }>

  let content: string
  let generation: Record<string, unknown>
  let citations: Citation[] = []
  let invalid: number[] = []
  const retrievalRecord = { mode: retrieval.mode, embeddingModel: retrieval.embeddingModel, topK: input.topK ?? settings.topK, ...(retrieval.vectorError ? { vectorError: retrieval.vectorError } : {}) }
  if (retrieval.chunks.length === 0) {
    content = NO_PASSAGES_ANSWER
    generation = { model: null, promptVersion: RAG_PROMPT_VERSION, retrieval: retrievalRecord, durationMs: Date.now() - started }
  } else {
    const messages = buildChatMessages({ question: input.content, passages: retrieval.chunks, history })
    let digest: string | null
    let answer
    try {
      const installed = await client.listModels({ timeoutMs: config.RAG_CHAT_TIMEOUT_MS })
      digest = installed.find((m) => normaliseModelName(m.name) === model)?.digest ?? null
      answer = await client.chat({ model, messages, options: RAG_CHAT_OPTIONS }, { timeoutMs: config.RAG_CHAT_TIMEOUT_MS })
    } catch (error) {
      if (error instanceof ModelNotFoundError) throw new Invalid(`model "${model}" is not installed on the Ollama server`, 'model')
      if (error instanceof OllamaTimeoutError) throw new UpstreamFailed(`the model did not answer within ${config.RAG_CHAT_TIMEOUT_MS} ms; nothing was stored, ask again`)
      throw new UpstreamFailed(`the model could not answer (${(error as Error).message}); nothing was stored`)
    }
    content = answer.message.content
    const verified = verifyCitations(content, retrieval.chunks.map((c) => c.chunkId))
    const byId = new Map(retrieval.chunks.map((c) => [c.chunkId, c]))
    citations = verified.valid.map((id) => {
      const c = byId.get(id)!
      return { chunkId: id, articleId: c.articleId, fileId: c.fileId, title: c.title, page: c.page, quote: c.text }
    })
    invalid = verified.invalid
    generation = {
      model, digest, promptVersion: RAG_PROMPT_VERSION, options: RAG_CHAT_OPTIONS, retrieval: retrievalRecord,
      historyMessages: history.length, promptTokens: answer.promptTokens ?? null, outputTokens: answer.outputTokens ?? null,
      durationMs: Date.now() - started
    }
  }
  const retrieved = retrieval.chunks.map((c) => ({ chunkId: c.chunkId, articleId: c.articleId, page: c.page, lexicalRank: c.lexicalRank, vectorRank: c.vectorRank, score: c.score }))
  return db.transaction(async (tx) => {
    const now = Date.now()
    const [question] = await tx.insert(chatMessages).values({ conversationId, role: 'user', content: input.content, createdAt: new Date(now) }).returning()
    const [reply] = await tx.insert(chatMessages).values({
      conversationId, role: 'assistant', content, citations, invalidCitations: invalid, retrieved, generation, createdAt: new Date(now + 1)
    }).returning()
    await tx.update(chatConversations).set({
      updatedAt: new Date(now + 1), ...(conversation.title === UNTITLED ? { title: input.content.slice(0, 80) } : {})
    }).where(eq(chatConversations.id, conversationId))
    return { question: messageView(question), answer: messageView(reply) }
  })
}
