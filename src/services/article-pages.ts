/**
 * Article list pages served from what was already computed: a project's list depends only on its
 * articles and decisions, and every committed change to those bumps `projects.data_version`
 * (database triggers, drizzle/0009_project_data_version.sql). So a page is identified by
 * (project, data version, query, reviewer scope): its ETag is derived from those without reading a
 * row, and its serialised JSON is kept in a byte-bounded LRU under the same key. The scope is the
 * reviewer whose own decisions alone a blind reviewer sees (or everyone's): one reviewer's view is
 * never served to another.
 */
import { createHash } from 'node:crypto'
import type { Database } from '../db/index.ts'
import { countArticles, listArticlePage, type ArticleQuery } from './articles.ts'

/** A map bounded by the bytes of its values, least recently used first out. */
export class ByteLru {
  private readonly entries = new Map<string, string>()
  /** Values being computed: concurrent requests for the same missing page wait for one computation. */
  readonly pending = new Map<string, Promise<string>>()
  private bytes = 0
  constructor(readonly maxBytes: number) {}

  get size(): number { return this.bytes }

  get(key: string): string | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  set(key: string, value: string): void {
    const cost = key.length + value.length
    this.delete(key)
    if (cost > this.maxBytes) return
    this.entries.set(key, value)
    this.bytes += cost
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(oldest)
      this.bytes -= oldest.length + old.length
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key)
    if (old === undefined) return
    this.entries.delete(key)
    this.bytes -= key.length + old.length
  }
}

export interface PageProject {
  id: string
  dataVersion: number
}

export interface ServedPage {
  etag: string
  /** The serialised page; null when the client's If-None-Match already names it. */
  body: string | null
}

/** What selects rows (not which page of them): the key of the cached count. */
function filterKey(projectId: string, version: number, query: ArticleQuery): string {
  return JSON.stringify(['count', projectId, version, query.ownDecisionsOf ?? null, query.stage, query.includeDuplicates, query.q ?? null, query.decision ?? null, query.minAtn ?? null])
}

function pageKey(projectId: string, version: number, query: ArticleQuery): string {
  return JSON.stringify(['page', projectId, version, query.ownDecisionsOf ?? null, query.stage, query.includeDuplicates, query.q ?? null,
    query.decision ?? null, query.minAtn ?? null, query.sort, query.order, query.page, query.pageSize])
}

/** The strong ETag of a page: the project's data version, and a digest of the query and the reviewer scope. */
export function articlePageEtag(project: PageProject, query: ArticleQuery): string {
  const digest = createHash('sha256').update(pageKey(project.id, 0, query)).digest('base64url').slice(0, 22)
  return `"${project.dataVersion}-${digest}"`
}

/** Whether an If-None-Match header names `etag` (a list, weak forms and `*` included). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false
  if (ifNoneMatch.trim() === '*') return true
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)
}

/**
 * The page of `query` at the project's data version. The version is read (with the caller's
 * membership) before the rows, so the rows are at least that new: a body cached under a version may
 * only be newer than it, never older, and a client is never told 304 for data it has not seen.
 */
export async function serveArticlePage(db: Database, cache: ByteLru, project: PageProject, query: ArticleQuery, ifNoneMatch?: string): Promise<ServedPage> {
  const etag = articlePageEtag(project, query)
  if (matchesEtag(ifNoneMatch, etag)) return { etag, body: null }
  const key = pageKey(project.id, project.dataVersion, query)
  const cached = cache.get(key) ?? await cache.pending.get(key)
  if (cached !== undefined) return { etag, body: cached }
  const computing = computePage(db, cache, project, query)
  cache.pending.set(key, computing)
  try {
    const body = await computing
    cache.set(key, body)
    return { etag, body }
  } finally {
    cache.pending.delete(key)
  }
}

async function computePage(db: Database, cache: ByteLru, project: PageProject, query: ArticleQuery): Promise<string> {
  const countKey = filterKey(project.id, project.dataVersion, query)
  const known = cache.get(countKey)
  const [items, total] = await Promise.all([
    listArticlePage(db, project.id, query),
    known !== undefined ? Number(known) : countArticles(db, project.id, query)
  ])
  if (known === undefined) cache.set(countKey, String(total))
  return JSON.stringify({ items, total, page: query.page, pageSize: query.pageSize })
}
