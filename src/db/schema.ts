/**
 * The database schema: pure table definitions, no connections. Migrations in
 * `drizzle/` are generated from this file with `npm run db:generate`.
 */
import { sql } from 'drizzle-orm'
import {
  pgTable, uuid, text, integer, smallint, real, boolean, timestamp, jsonb, primaryKey, index, unique, uniqueIndex, pgEnum, customType, bigint, bigserial
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

/**
 * Failed sign-ins per e-mail and client address (`key` is the SHA-256 of both), shared by every
 * web process so that running several does not multiply an attacker's attempts.
 */
export const loginFailures = pgTable('login_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  since: timestamp('since', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('login_failures_since_idx').on(t.since)])

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
  dataVersion: bigint('data_version', { mode: 'number' }).notNull().default(0),
  /**
   * Bumped like `data_version`, but only by transactions that changed the project's articles (not its
   * decisions): the screening model's features (built from the texts) are reused while it holds.
   */
  articlesVersion: bigint('articles_version', { mode: 'number' }).notNull().default(0)
})

/**
 * The projects that the open transaction changed, one row each, written by statement triggers on
 * `articles` and `decisions` and removed at commit by the deferred trigger that bumps
 * `projects.data_version` (so the version row is locked only at commit, not for a whole import).
 */
export const projectChanges = pgTable('project_changes', {
  projectId: uuid('project_id').notNull(),
  txid: bigint('txid', { mode: 'number' }).notNull().default(sql`txid_current()`),
  /** Whether the transaction changed articles (then `articles_version` is bumped too). */
  articles: boolean('articles').notNull().default(false)
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
  /** The task that brought the file in (a bulk upload, a ZIP, a Zotero import), when one did. */
  taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
  createdAt: createdAt()
}, (t) => [
  index('files_project_idx').on(t.projectId),
  // Full texts are content-addressed: the same PDF is stored once per project.
  uniqueIndex('files_project_pdf_sha256_idx').on(t.projectId, t.sha256).where(sql`content_type = 'application/pdf'`)
])

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
  // B-tree keys are limited to about 2,700 bytes, and these fields come from the imported files, of
  // any length: the indexes hold a bounded prefix (at most 4 bytes a character), so that any record
  // can be stored. Queries use the same expressions to be served by them (listArticles sorts titles so).
  index('articles_project_title_idx').on(t.projectId, sql`left(lower(${t.title}), 256)`, t.sourceIndex, t.id),
  index('articles_project_doi_idx').on(t.projectId, sql`left(${t.doi}, 256)`),
  index('articles_project_pmid_idx').on(t.projectId, sql`left(${t.pmid}, 256)`),
  index('articles_batch_idx').on(t.batchId),
  // A cluster's members, read when its screening state is recomputed (screeningStates).
  index('articles_duplicate_of_idx').on(t.duplicateOf).where(sql`duplicate_of IS NOT NULL`),
  // The clusters with a full text, for PRISMA's "not retrieved", without reading every record of the project.
  index('articles_project_full_text_idx').on(t.projectId).where(sql`full_text_file_id IS NOT NULL`)
])

/**
 * The records of each source batch per database — a record's own database tag
 * (`record.columns.sourceDatabase` of a cluster's primary, else `source_database`),
 * null for none — kept by triggers on `articles` (drizzle/0027_source_counts_triggers.sql),
 * so that PRISMA's "records identified" need not read every record. No foreign keys: a
 * batch or project deleted takes its articles first, whose trigger brings the rows to zero
 * (rows at zero are removed), and readers join the batches that exist.
 */
export const sourceCounts = pgTable('source_counts', {
  batchId: uuid('batch_id').notNull(),
  ownDatabase: text('own_database'),
  /** The project of the records counted. */
  projectId: uuid('project_id').notNull(),
  records: integer('records').notNull()
}, (t) => [unique('source_counts_key').on(t.batchId, t.ownDatabase, t.projectId).nullsNotDistinct()])

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

/**
 * Each live record's screening state at a stage, from the current human and
 * resolution decisions of its duplicate cluster (the rules of screening.ts):
 * what PRISMA counts read instead of sorting every decision. Written only by
 * triggers on `decisions` and `articles` (drizzle/0026_screening_states_triggers.sql),
 * in the transaction of the write; a row exists when the record has such a decision.
 */
export const screeningStates = pgTable('screening_states', {
  /** The live record (the primary of its cluster). */
  recordId: uuid('record_id').notNull(),
  stage: screeningStage('stage').notNull(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  /** Reviewers with a current human decision, and the lowest and highest of those decisions (equal: they agree). */
  humans: integer('humans').notNull(),
  lowest: decisionValue('lowest'),
  highest: decisionValue('highest'),
  /** The latest resolution, which settles the record, and its reason. */
  resolution: decisionValue('resolution'),
  resolutionReason: text('resolution_reason'),
  /** Full text: `{ reason: reviewers }` of the current human exclusions that give a reason. */
  exclusionReasons: jsonb('exclusion_reasons')
}, (t) => [primaryKey({ columns: [t.recordId, t.stage] }), index('screening_states_project_idx').on(t.projectId, t.stage)])

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

/**
 * The ranking of a stage's records by its latest model fit, one row per project and stage, written
 * once per fit (src/services/screening-ranking.ts): the record ids in rank order (16 bytes each) and
 * their scores (float32, little-endian, same order). `version` grows with each fit stored, so every
 * process holding a ranking in memory knows by one small read whether it is the newest.
 */
export const screeningRankings = pgTable('screening_rankings', {
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  stage: screeningStage('stage').notNull(),
  version: bigint('version', { mode: 'number' }).notNull(),
  /** What ordered it: the trained model, or LLM probabilities before the model could train. */
  mode: text('mode').notNull(),
  ids: bytea('ids').notNull(),
  scores: bytea('scores').notNull(),
  storedAt: timestamp('stored_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.projectId, t.stage] })])

/**
 * A stored meta-analysis: its input table (one row per study: label, optional
 * article id and subgroup, and the numbers of its input kind), its options and
 * the result computed from them by the library version named. Editing the
 * input or the options computes the result again.
 */
export const metaAnalyses = pgTable('meta_analyses', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  /** 'binary' (2×2 counts), 'continuous' (means, SDs, n) or 'generic' (yi with SE or CI). */
  inputKind: text('input_kind').notNull(),
  /** OR, RR, RD, MD, SMD or GEN. */
  measure: text('measure').notNull(),
  /** `{ method, test, level, ratioScale, leaveOneOut }` */
  options: jsonb('options').notNull().default(sql`'{}'::jsonb`),
  /** The input rows as given: `{ label, articleId?, group?, …numbers }[]`. */
  rows: jsonb('rows').notNull(),
  /**
   * Rows built from extraction fields: `{ mapping, gridVersion, excluded: [{ articleId, label, reason }], resolvedAt }`
   * (src/synthesis/extraction-inputs.ts); null for rows typed in or uploaded.
   */
  extractionInputs: jsonb('extraction_inputs'),
  result: jsonb('result').notNull(),
  libraryVersion: text('library_version').notNull(),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('meta_analyses_project_idx').on(t.projectId, t.createdAt)])

/**
 * A grounded LLM synthesis draft (narrative synthesis and discussion) of a project's included
 * studies: one row per generation (`version` counts per project; regenerating adds a row, old
 * ones are kept), with the model, its digest, the prompt version, the options and the exact
 * input sent, the sections as written and the citation check (src/synthesis/citations.ts).
 */
export const synthesisDrafts = pgTable('synthesis_drafts', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  /** 'en' or 'fr'. */
  language: text('language').notNull(),
  model: text('model').notNull(),
  modelDigest: text('model_digest'),
  promptVersion: text('prompt_version').notNull(),
  /** `{ temperature, seed, strategy: 'direct' | 'summarise-first', maxInputChars }` */
  options: jsonb('options').notNull(),
  /** The studies sent (key, article, metadata, extracted data and its source) and the prompts, exactly. */
  input: jsonb('input').notNull(),
  /** `[{ name: 'synthesis' | 'discussion', text, sentences: [{ text, keys, unknownKeys, uncited }] }]` */
  sections: jsonb('sections').notNull(),
  /** Citation key → article id. */
  citationKeys: jsonb('citation_keys').notNull(),
  taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt()
}, (t) => [uniqueIndex('synthesis_drafts_project_version_idx').on(t.projectId, t.version)])

/**
 * LLM concept runs (task `llm-concepts`): the key concepts a local model found in each included
 * study, normalised, each with the quotes it gave and whether they occur in the study's text. The
 * concept graph adds the concepts of the project's latest run.
 */
export const llmConceptRuns = pgTable('llm_concept_runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  model: text('model').notNull(),
  modelDigest: text('model_digest'),
  promptVersion: text('prompt_version').notNull(),
  /** `{ temperature, seed, maxConcepts, fullTextChars, concurrency }` */
  options: jsonb('options').notNull(),
  /** `[{ articleId, key, title, text: 'full_text' | 'abstract', concepts: [{ key, label, quotes: [{ text, found }], flagged }] }]`; failed studies are in `failures`. */
  studies: jsonb('studies').notNull(),
  /** `[{ articleId, key, kind, message }]`: studies the model gave no usable answer for. */
  failures: jsonb('failures').notNull(),
  taskId: uuid('task_id').references(() => tasks.id, { onDelete: 'set null' }),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt()
}, (t) => [index('llm_concept_runs_project_idx').on(t.projectId, t.createdAt)])

/** A project's extraction grids; their definitions are in `extraction_grid_versions`. */
export const extractionGrids = pgTable('extraction_grids', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  /** The version new extractions use. */
  currentVersion: integer('current_version').notNull().default(1),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('extraction_grids_project_idx').on(t.projectId)])

/** Each version of a grid (src/extraction/grid.ts `Grid`); a version some extraction uses is never changed. */
export const extractionGridVersions = pgTable('extraction_grid_versions', {
  id: uuid('id').primaryKey().defaultRandom(),
  gridId: uuid('grid_id').notNull().references(() => extractionGrids.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  definition: jsonb('definition').notNull(),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt()
}, (t) => [uniqueIndex('extraction_grid_versions_grid_idx').on(t.gridId, t.version)])

/** The current extraction of an article with a grid by one reviewer (human or model); its history in `extraction_history`. */
export const extractions = pgTable('extractions', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  articleId: uuid('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  gridId: uuid('grid_id').notNull().references(() => extractionGrids.id, { onDelete: 'cascade' }),
  gridVersionId: uuid('grid_version_id').notNull().references(() => extractionGridVersions.id),
  reviewerId: uuid('reviewer_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** 'draft' or 'complete'. */
  status: text('status').notNull().default('draft'),
  /** `{ [fieldKey]: { value, notReported?, quote?, page?, quoteUnverified? } }` */
  values: jsonb('values').notNull().default(sql`'{}'::jsonb`),
  /** 'human' or 'llm'. */
  origin: text('origin').notNull().default('human'),
  /** LLM extractions: `{ model, digest, promptVersion, options }`. */
  run: jsonb('run'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [
  uniqueIndex('extractions_article_grid_reviewer_idx').on(t.articleId, t.gridId, t.reviewerId),
  index('extractions_project_grid_idx').on(t.projectId, t.gridId)
])

/** Every saved state of every extraction and consensus, never updated in place. */
export const extractionHistory = pgTable('extraction_history', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  articleId: uuid('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  gridId: uuid('grid_id').notNull().references(() => extractionGrids.id, { onDelete: 'cascade' }),
  gridVersionId: uuid('grid_version_id').notNull().references(() => extractionGridVersions.id),
  /** The reviewer, or the member who recorded the consensus. */
  reviewerId: uuid('reviewer_id').references(() => users.id, { onDelete: 'set null' }),
  /** 'extraction' or 'consensus'. */
  kind: text('kind').notNull().default('extraction'),
  status: text('status').notNull(),
  values: jsonb('values').notNull(),
  origin: text('origin').notNull().default('human'),
  run: jsonb('run'),
  note: text('note'),
  createdAt: createdAt()
}, (t) => [index('extraction_history_article_idx').on(t.articleId, t.gridId, t.createdAt)])

/** The consensus values of an article with a grid, settled from the reviewers' extractions; the latest row is current. */
export const extractionConsensus = pgTable('extraction_consensus', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  articleId: uuid('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  gridId: uuid('grid_id').notNull().references(() => extractionGrids.id, { onDelete: 'cascade' }),
  gridVersionId: uuid('grid_version_id').notNull().references(() => extractionGridVersions.id),
  values: jsonb('values').notNull(),
  note: text('note'),
  decidedBy: uuid('decided_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [uniqueIndex('extraction_consensus_article_grid_idx').on(t.articleId, t.gridId)])

/**
 * Counts of PRISMA flow-diagram boxes the records cannot tell (previous-version boxes, reports not
 * retrieved, records removed by automation…), each `{ n, note }`, entered by an owner (ManualOverrides).
 */
export const prismaOverrides = pgTable('prisma_overrides', {
  projectId: uuid('project_id').primaryKey().references(() => projects.id, { onDelete: 'cascade' }),
  overrides: jsonb('overrides').notNull().default(sql`'{}'::jsonb`),
  updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

/**
 * A project's filled-in copy of a reporting checklist: what people wrote per item
 * (`{ [itemId]: { status, location, notes, evidence } }`); evidence from the project's data is added when read.
 */
export const checklistInstances = pgTable('checklist_instances', {
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  checklistId: text('checklist_id').notNull(),
  items: jsonb('items').notNull().default(sql`'{}'::jsonb`),
  updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.projectId, t.checklistId] })])

/**
 * Risk-of-bias assessments (src/appraisal/): the current assessment of an article (and, for RoB 2, of
 * one outcome's result; '' when the whole study is assessed) with a tool, one per reviewer, and one
 * consensus per article, outcome and tool (kind 'consensus', `reviewer_id` who settled it). Judgements
 * of algorithm tools are derived from the answers when the assessment is saved, never typed.
 */
export const robAssessments = pgTable('rob_assessments', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  articleId: uuid('article_id').notNull().references(() => articles.id, { onDelete: 'cascade' }),
  outcome: text('outcome').notNull().default(''),
  tool: text('tool').notNull(),
  /** 'reviewer' or 'consensus'. */
  kind: text('kind').notNull().default('reviewer'),
  reviewerId: uuid('reviewer_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** 'draft' or 'complete'. */
  status: text('status').notNull().default('draft'),
  /** Signalling-question answers by question id (NA filled in where a question does not apply). */
  answers: jsonb('answers').notNull().default(sql`'{}'::jsonb`),
  /** Reviewer's domain judgements (tools the reviewer judges). */
  judgements: jsonb('judgements').notNull().default(sql`'{}'::jsonb`),
  /** `{ [questionOrDomainId]: { text?, quote?, page? } }`: why, in the reviewer's words and the article's. */
  support: jsonb('support').notNull().default(sql`'{}'::jsonb`),
  /** `{ [domainId | 'overall']: { judgement, reason } }`. */
  overrides: jsonb('overrides').notNull().default(sql`'{}'::jsonb`),
  /** Domain and overall judgements with their paths (deriveJudgements), null while a draft. */
  derived: jsonb('derived'),
  /** The model, when an LLM answered the questions. */
  model: text('model'),
  /** LLM assessments: `{ taskId, model, digest, promptVersion, options, problems }`. */
  run: jsonb('run'),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [
  uniqueIndex('rob_assessments_reviewer_idx').on(t.articleId, t.outcome, t.tool, t.reviewerId).where(sql`kind = 'reviewer'`),
  uniqueIndex('rob_assessments_consensus_idx').on(t.articleId, t.outcome, t.tool).where(sql`kind = 'consensus'`),
  index('rob_assessments_project_idx').on(t.projectId, t.tool)
])

/** Every saved state of every assessment, never updated in place. */
export const robAssessmentHistory = pgTable('rob_assessment_history', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  assessmentId: uuid('assessment_id').notNull().references(() => robAssessments.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
  /** The assessment as saved: status, answers, judgements, support, overrides, derived. */
  state: jsonb('state').notNull(),
  createdAt: createdAt()
}, (t) => [index('rob_assessment_history_idx').on(t.assessmentId, t.createdAt)])

/** ATN criteria sets (src/appraisal/atn.ts): seeded ones have no project (key 'atn-v2.2'); a project has at most one of its own. */
export const atnCriteriaSets = pgTable('atn_criteria_sets', {
  id: uuid('id').primaryKey().defaultRandom(),
  key: text('key'),
  projectId: uuid('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  definition: jsonb('definition').notNull(),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [uniqueIndex('atn_criteria_sets_key_idx').on(t.key), uniqueIndex('atn_criteria_sets_project_idx').on(t.projectId)])

/** The latest ATN score of each article, written by the `atn-score` task. */
export const atnScores = pgTable('atn_scores', {
  articleId: uuid('article_id').primaryKey().references(() => articles.id, { onDelete: 'cascade' }),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  score: real('score').notNull(),
  category: text('category').notNull(),
  justification: jsonb('justification').notNull(),
  /** `name version` of the criteria set that scored it. */
  setVersion: text('set_version').notNull(),
  scoredAt: timestamp('scored_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('atn_scores_project_idx').on(t.projectId, t.score)])

/** The text extracted from a stored PDF (src/fulltext/), one row per file: its outcome and sections. */
export const fullTexts = pgTable('full_texts', {
  fileId: uuid('file_id').primaryKey().references(() => files.id, { onDelete: 'cascade' }),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  /** 'ok' or 'error' (then error_code and error_message say why). */
  status: text('status').notNull(),
  errorCode: text('error_code'),
  errorMessage: text('error_message'),
  pageCount: integer('page_count').notNull().default(0),
  /** Pages read by OCR, with their outcome: [{ page, status, reason? }]. */
  ocrPages: jsonb('ocr_pages').notNull().default(sql`'[]'::jsonb`),
  /** Detected sections: [{ name, page, offset }]. */
  sections: jsonb('sections').notNull().default(sql`'[]'::jsonb`),
  /** Title, DOI and PMID found in the PDF (used to match files to articles). */
  metadata: jsonb('metadata').notNull().default(sql`'{}'::jsonb`),
  extractorVersion: text('extractor_version').notNull(),
  extractedAt: timestamp('extracted_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('full_texts_project_idx').on(t.projectId)])

/** The text of each page of a full text, searchable across a project (GIN index on the generated tsvector). */
export const fullTextPages = pgTable('full_text_pages', {
  fileId: uuid('file_id').notNull().references(() => fullTexts.fileId, { onDelete: 'cascade' }),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  page: integer('page').notNull(),
  text: text('text').notNull(),
  search: tsvector('search').notNull().generatedAlwaysAs(sql`to_tsvector('english', text)`)
}, (t) => [
  primaryKey({ columns: [t.fileId, t.page] }),
  index('full_text_pages_search_idx').using('gin', t.search),
  index('full_text_pages_project_idx').on(t.projectId)
])

/**
 * Chat over the full texts (src/rag, src/services/rag.ts): a project's choices, each null when the
 * configuration's RAG_* default applies. `embedding_model` '' means no embeddings (lexical retrieval only).
 */
export const ragSettings = pgTable('rag_settings', {
  projectId: uuid('project_id').primaryKey().references(() => projects.id, { onDelete: 'cascade' }),
  embeddingModel: text('embedding_model'),
  chatModel: text('chat_model'),
  chunkSize: integer('chunk_size'),
  chunkOverlap: integer('chunk_overlap'),
  /** 'chars' or 'words'. */
  chunkUnit: text('chunk_unit'),
  topK: integer('top_k'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
})

/**
 * How each extracted full text is indexed: the chunking that cut it and the embedding model of its
 * chunks (null: none). Deleted with the extraction (a re-extracted file is indexed again); a row whose
 * chunking or model differs from the project's settings is indexed again by the task "fulltext-index".
 */
export const fullTextIndex = pgTable('full_text_index', {
  fileId: uuid('file_id').primaryKey().references(() => fullTexts.fileId, { onDelete: 'cascade' }),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  /** "chars:1200:200" — unit, size, overlap. */
  chunking: text('chunking').notNull(),
  embeddingModel: text('embedding_model'),
  dimensions: integer('dimensions'),
  chunkCount: integer('chunk_count').notNull(),
  /** Why the chunks have no embeddings although a model was asked for (they are still searched lexically). */
  error: text('error'),
  indexedAt: timestamp('indexed_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('full_text_index_project_idx').on(t.projectId)])

/** A passage of one page of a full text, searched lexically (tsvector) and by cosine similarity of its embedding (unit vector). */
export const fullTextChunks = pgTable('full_text_chunks', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  fileId: uuid('file_id').notNull().references(() => fullTexts.fileId, { onDelete: 'cascade' }),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  page: integer('page').notNull(),
  /** Position of the chunk in its file, and its character offsets in the page's text. */
  ordinal: integer('ordinal').notNull(),
  startOffset: integer('start_offset').notNull(),
  endOffset: integer('end_offset').notNull(),
  text: text('text').notNull(),
  search: tsvector('search').notNull().generatedAlwaysAs(sql`to_tsvector('english', text)`),
  /** The unit embedding as float4, big-endian (PostgreSQL's binary `real`); exact scores are computed from it. */
  embedding: bytea('embedding'),
  /** The same as int8 codes times `embedding_scale`, missing at most `embedding_residual` (L2): what the exact search scans first (src/rag/vectors.ts). */
  embeddingCodes: bytea('embedding_codes'),
  embeddingScale: real('embedding_scale'),
  embeddingResidual: real('embedding_residual'),
  embeddingModel: text('embedding_model')
}, (t) => [
  index('full_text_chunks_search_idx').using('gin', t.search),
  index('full_text_chunks_project_idx').on(t.projectId),
  index('full_text_chunks_file_idx').on(t.fileId, t.ordinal)
])

/** A conversation of one user about a project's full texts. */
export const chatConversations = pgTable('chat_conversations', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  createdAt: createdAt(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
}, (t) => [index('chat_conversations_owner_idx').on(t.projectId, t.userId, t.updatedAt)])

/**
 * A message: the user's question, or the model's answer with the passages it cited (verified
 * against the retrieved ones), the ids it cited that were not retrieved, and how it was generated.
 */
export const chatMessages = pgTable('chat_messages', {
  id: uuid('id').primaryKey().defaultRandom(),
  conversationId: uuid('conversation_id').notNull().references(() => chatConversations.id, { onDelete: 'cascade' }),
  /** 'user' or 'assistant'. */
  role: text('role').notNull(),
  content: text('content').notNull(),
  /** [{ chunkId, articleId, fileId, title, page, quote }] */
  citations: jsonb('citations').notNull().default(sql`'[]'::jsonb`),
  /** Chunk ids the answer cited that were not among the retrieved passages (dropped). */
  invalidCitations: jsonb('invalid_citations').notNull().default(sql`'[]'::jsonb`),
  /** The retrieved passages: [{ chunkId, articleId, page, lexicalRank, vectorRank, score }]. */
  retrieved: jsonb('retrieved').notNull().default(sql`'[]'::jsonb`),
  /** { model, digest, promptVersion, options, embeddingModel, topK, durationMs, promptTokens, outputTokens } */
  generation: jsonb('generation'),
  createdAt: createdAt()
}, (t) => [index('chat_messages_conversation_idx').on(t.conversationId, t.createdAt)])
