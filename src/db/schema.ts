/**
 * The database schema: pure table definitions, no connections. Migrations in
 * `drizzle/` are generated from this file with `npm run db:generate`.
 */
import { sql } from 'drizzle-orm'
import {
  pgTable, uuid, text, integer, smallint, real, boolean, timestamp, jsonb, primaryKey, index, uniqueIndex, pgEnum, customType, bigint
} from 'drizzle-orm/pg-core'

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' })
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' })

export const projectRole = pgEnum('project_role', ['owner', 'reviewer', 'viewer'])
export const reviewType = pgEnum('review_type', ['systematic', 'scoping'])
export const decisionValue = pgEnum('decision_value', ['include', 'exclude', 'maybe'])
export const screeningStage = pgEnum('screening_stage', ['title_abstract', 'full_text'])
export const taskStatus = pgEnum('task_status', ['queued', 'running', 'succeeded', 'failed', 'cancelled'])

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow()

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  name: text('name').notNull().default(''),
  isAdmin: boolean('is_admin').notNull().default(false),
  /** 'human', or 'llm' for the reviewer account under which a model's screening decisions are recorded. */
  kind: text('kind').notNull().default('human'),
  /** `scrypt$N$r$p$salt$hash` (src/auth/passwords.ts); null: no password, the user cannot sign in. */
  passwordHash: text('password_hash'),
  createdAt: createdAt()
})

/** Browser sessions: the SHA-256 of the `analylit_session` cookie's random value (src/auth/sessions.ts). */
export const sessions = pgTable('sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  /** Absolute expiry; the idle expiry is `last_seen_at` + SESSION_IDLE_HOURS. */
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull()
}, (t) => [index('sessions_user_idx').on(t.userId)])

/** Single-use links that set a user's password (invitation and reset alike). */
export const passwordLinks = pgTable('password_links', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true })
}, (t) => [index('password_links_user_idx').on(t.userId)])

export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** SHA-256 of the token: tokens are 256-bit random values, so a fast hash is enough. */
  tokenHash: text('token_hash').notNull().unique(),
  name: text('name').notNull().default(''),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true })
})

export const projects = pgTable('projects', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  reviewType: reviewType('review_type').notNull().default('systematic'),
  question: text('question').notNull().default(''),
  /** `{ kind: 'pico', population, intervention, comparison, outcome, ... }` or `{ kind: 'text', text }`. */
  criteria: jsonb('criteria').notNull().default(sql`'{}'::jsonb`),
  /** `{ reviewersPerRecord: 1|2, blind: boolean, exclusionReasons: string[], resolverIds: string[] }` */
  screeningSettings: jsonb('screening_settings').notNull().default(sql`'{}'::jsonb`),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  /**
   * Bumped when a transaction that changed the project's articles or decisions commits (triggers,
   * drizzle/0009_project_data_version.sql): what a list page shows depends on nothing else, so a page
   * served at one version is the page at that version.
   */
  dataVersion: bigint('data_version', { mode: 'number' }).notNull().default(0)
})

/**
 * The projects that the open transaction changed, one row each, written by statement triggers on
 * `articles` and `decisions` and removed at commit by the deferred trigger that bumps
 * `projects.data_version` (so the version row is locked only at commit, not for a whole import).
 */
export const projectChanges = pgTable('project_changes', {
  projectId: uuid('project_id').notNull(),
  txid: bigint('txid', { mode: 'number' }).notNull().default(sql`txid_current()`)
}, (t) => [primaryKey({ columns: [t.projectId, t.txid] })])

export const projectMembers = pgTable('project_members', {
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  role: projectRole('role').notNull(),
  createdAt: createdAt()
}, (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('project_members_user_idx').on(t.userId)])

export const tasks = pgTable('tasks', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  type: text('type').notNull(),
  status: taskStatus('status').notNull().default('queued'),
  progress: real('progress').notNull().default(0),
  message: text('message'),
  payload: jsonb('payload').notNull().default(sql`'{}'::jsonb`),
  result: jsonb('result'),
  error: text('error'),
  attempts: integer('attempts').notNull().default(0),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [
  index('tasks_project_idx').on(t.projectId, t.createdAt),
  // The unfinished tasks, read by the queue reconciler every RECONCILE_INTERVAL_MS and by the in-process runner at start.
  index('tasks_unfinished_idx').on(t.id).where(sql`status IN ('queued', 'running')`)
])

export const files = pgTable('files', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  /** Path relative to the storage directory. */
  storagePath: text('storage_path').notNull(),
  originalName: text('original_name').notNull(),
  contentType: text('content_type'),
  size: bigint('size', { mode: 'number' }).notNull(),
  sha256: text('sha256').notNull(),
  /** Where the file came from: 'upload', 'url', 'unpaywall'… */
  origin: text('origin').notNull().default('upload'),
  originUrl: text('origin_url'),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt()
}, (t) => [index('files_project_idx').on(t.projectId)])

/** One import (file, URL or search run): feeds the PRISMA "records identified" boxes per source. */
export const sourceBatches = pgTable('source_batches', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
  kind: text('kind').notNull().default('file'),
  fileName: text('file_name'),
  format: text('format'),
  encoding: text('encoding'),
  sourceDatabase: text('source_database'),
  recordsRead: integer('records_read').notNull().default(0),
  recordsImported: integer('records_imported').notNull().default(0),
  recordErrors: integer('record_errors').notNull().default(0),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt()
}, (t) => [index('source_batches_project_idx').on(t.projectId)])

export const articles = pgTable('articles', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  batchId: uuid('batch_id').references(() => sourceBatches.id, { onDelete: 'cascade' }),
  /** Position of the record in its source file (0-based), for error reports and stable ordering. */
  sourceIndex: integer('source_index').notNull().default(0),
  title: text('title').notNull().default(''),
  abstract: text('abstract').notNull().default(''),
  authors: jsonb('authors').notNull().default(sql`'[]'::jsonb`),
  year: integer('year'),
  journal: text('journal'),
  volume: text('volume'),
  issue: text('issue'),
  pages: text('pages'),
  doi: text('doi'),
  pmid: text('pmid'),
  pmcid: text('pmcid'),
  arxivId: text('arxiv_id'),
  type: text('type').notNull().default('article'),
  sourceDatabase: text('source_database'),
  /** The rest of the normalised record (keywords, MeSH, ISSN, URL, notes…). */
  data: jsonb('data').notNull().default(sql`'{}'::jsonb`),
  /**
   * The record exactly as found (an API's answer); for records imported from
   * a file it is in `original_chunks` instead.
   */
  original: jsonb('original'),
  /**
   * Set only while the article is the primary of a duplicate cluster: its own
   * normalised record from before its columns became the union of the
   * cluster's records, so that a split restores it exactly. (Copy on write:
   * the other records would only store the same data twice.)
   */
  record: jsonb('record'),
  /**
   * How complete the record as imported is (src/dedup/cluster.ts): the most
   * complete record of a duplicate cluster becomes its primary. Records are
   * never edited, so it is computed once, when the row is written.
   */
  completeness: smallint('completeness'),
  /** Relevance score of the current screening model (0–1), when one was trained. */
  relevance: real('relevance'),
  fullTextFileId: uuid('full_text_file_id'),
  /** Set when this record is a duplicate kept and linked to its cluster's primary record. */
  duplicateOf: uuid('duplicate_of'),
  createdAt: createdAt()
}, (t) => [
  // One index per sort of the article list, with its tie-breakers, so that a page is read in order (listArticles).
  index('articles_project_idx').on(t.projectId, t.createdAt, t.sourceIndex, t.id),
  index('articles_project_year_idx').on(t.projectId, t.year, t.sourceIndex, t.id),
  index('articles_project_journal_idx').on(t.projectId, sql`left(lower(${t.journal}), 256)`, t.sourceIndex, t.id),
  // Partial index so counting a project's live (non-duplicate) records is an index-only scan.
  index('articles_project_live_idx').on(t.projectId).where(sql`duplicate_of IS NULL`),
  // The screening queue: live records by the model's score, read from the top by GET …/screening/next.
  index('articles_project_relevance_idx').on(t.projectId, sql`${t.relevance} DESC NULLS LAST`, t.id).where(sql`duplicate_of IS NULL`),
  // B-tree keys are limited to about 2,700 bytes, and these fields come from the imported files, of
  // any length: the indexes hold a bounded prefix (at most 4 bytes a character), so that any record
  // can be stored. Queries use the same expressions to be served by them (listArticles sorts titles so).
  index('articles_project_title_idx').on(t.projectId, sql`left(lower(${t.title}), 256)`, t.sourceIndex, t.id),
  index('articles_project_doi_idx').on(t.projectId, sql`left(${t.doi}, 256)`),
  index('articles_project_pmid_idx').on(t.projectId, sql`left(${t.pmid}, 256)`),
  index('articles_batch_idx').on(t.batchId)
])

/**
 * The full-text search vector of each article (title and abstract), kept by
 * triggers on `articles` (see drizzle/0004_article_search.sql): in a table of
 * its own so that updates of the other columns of an article (duplicate
 * links, merged fields, relevance scores) do not touch its GIN index.
 */
export const articleSearch = pgTable('article_search', {
  articleId: uuid('article_id').primaryKey().references(() => articles.id, { onDelete: 'cascade' }),
  search: tsvector('search').notNull()
}, (t) => [index('article_search_idx').using('gin', t.search)])

/**
 * The original records of an imported file, as the parser read them: a
 * Brotli-compressed chunk of JSON lines per ORIGINALS_PER_CHUNK records (the
 * article with source_index i is line i % n of chunk i / n). Compressed
 * together by the importer rather than row by row by PostgreSQL, they cost
 * the import a fraction of what a column of each article would.
 */
export const originalChunks = pgTable('original_chunks', {
  batchId: uuid('batch_id').notNull().references(() => sourceBatches.id, { onDelete: 'cascade' }),
  chunk: integer('chunk').notNull(),
  records: bytea('records').notNull()
}, (t) => [primaryKey({ columns: [t.batchId, t.chunk] })])

/** Every screening decision ever made; the current one per reviewer is the latest. Never updated in place. */
export const decisions = pgTable('decisions', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  articleId: uuid('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  reviewerId: uuid('reviewer_id').references(() => users.id, { onDelete: 'set null' }),
  stage: screeningStage('stage').notNull().default('title_abstract'),
  decision: decisionValue('decision').notNull(),
  reason: text('reason'),
  note: text('note'),
  /** 'human', 'import' (a label brought in by an import), 'llm', or 'resolution' (a conflict settled). */
  source: text('source').notNull().default('human'),
  tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
  /** LLM decisions: probability of inclusion (0–1), the model's justification and name. */
  probability: real('probability'),
  justification: text('justification'),
  model: text('model'),
  /** Imported labels (source 'import'): where the decision came from — file, original reviewer and source, date. */
  origin: jsonb('origin'),
  createdAt: createdAt()
}, (t) => [
  index('decisions_article_idx').on(t.articleId, t.stage, t.createdAt),
  index('decisions_project_idx').on(t.projectId, t.stage)
])

export const analysisProfiles = pgTable('analysis_profiles', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  preprocessModel: text('preprocess_model').notNull(),
  extractModel: text('extract_model').notNull(),
  synthesisModel: text('synthesis_model').notNull(),
  isCustom: boolean('is_custom').notNull().default(true),
  createdAt: createdAt()
})

export const promptTemplates = pgTable('prompt_templates', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Stable key for seeded templates ('screening-default', 'extraction-default'). */
  key: text('key'),
  kind: text('kind').notNull(),
  name: text('name').notNull(),
  template: text('template').notNull(),
  isDefault: boolean('is_default').notNull().default(false),
  createdAt: createdAt()
}, (t) => [uniqueIndex('prompt_templates_key_idx').on(t.key)])

export const gridTemplates = pgTable('grid_templates', {
  id: uuid('id').primaryKey().defaultRandom(),
  key: text('key'),
  name: text('name').notNull(),
  fields: jsonb('fields').notNull(),
  isDefault: boolean('is_default').notNull().default(false),
  createdAt: createdAt()
}, (t) => [uniqueIndex('grid_templates_key_idx').on(t.key)])

/** Manual deduplication choices, which automatic runs never undo. Pairs are stored with articleA < articleB. */
export const duplicateJudgements = pgTable('duplicate_judgements', {
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  articleA: uuid('article_a').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  articleB: uuid('article_b').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  /** 'duplicate' (confirmed by a user) or 'not_duplicate'. */
  judgement: text('judgement').notNull(),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt()
}, (t) => [primaryKey({ columns: [t.articleA, t.articleB] }), index('duplicate_judgements_project_idx').on(t.projectId)])

/** One database queried by one search run: feeds PRISMA-S (database, query, date, hits). */
export const searchRuns = pgTable('search_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
  batchId: uuid('batch_id').references(() => sourceBatches.id, { onDelete: 'set null' }),
  database: text('database').notNull(),
  /** The query as the user wrote it, and as it was sent to the database. */
  query: text('query').notNull(),
  queryAsSent: text('query_as_sent'),
  maxRecords: integer('max_records'),
  status: text('status').notNull().default('queued'),
  totalHits: integer('total_hits'),
  retrieved: integer('retrieved').notNull().default(0),
  newRecords: integer('new_records').notNull().default(0),
  error: text('error'),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  createdAt: createdAt()
}, (t) => [index('search_runs_project_idx').on(t.projectId, t.createdAt)])

/** The latest active-learning model trained for a project and stage. */
export const screeningModels = pgTable('screening_models', {
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  stage: screeningStage('stage').notNull(),
  model: text('model').notNull(),
  labelled: integer('labelled').notNull(),
  includes: integer('includes').notNull(),
  stats: jsonb('stats').notNull().default(sql`'{}'::jsonb`),
  trainedAt: timestamp('trained_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.projectId, t.stage] })])
