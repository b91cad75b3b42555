/**
 * Projects with extracted full texts for the retrieval tests, and an
 * embedding client giving seeded random unit vectors (a text's vector depends
 * on the text alone, so equal texts tie).
 */
import { createHash, randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/index.ts'
import { articles, files } from '../../src/db/schema.ts'
import type { OllamaClient } from '../../src/llm/ollama.ts'
import { storeExtraction } from '../../src/services/fulltext-text.ts'
import { seededRandom as seeded } from '../support/dedup-corrupt.ts'

export { seeded }

export function randomVector(random: () => number, dims: number): number[] {
  return Array.from({ length: dims }, () => random() - 0.5)
}

/** An embedding client whose vector for a text is random, seeded by the text's hash. */
export function seededEmbedder(dims: number): OllamaClient {
  const vectorOf = (text: string) => randomVector(seeded(createHash('sha256').update(text).digest().readUInt32BE(0)), dims)
  return { embed: async ({ model, input }: { model: string; input: string[] }) => ({ model, embeddings: input.map(vectorOf) }) } as unknown as OllamaClient
}

/** Stores an extracted full text (as the extraction task would) linked to a new article of the project. */
export async function addFullText(db: Database, projectId: string, pages: string[]): Promise<string> {
  const [file] = await db.insert(files).values({
    projectId, storagePath: `projects/${projectId}/fulltext/${randomUUID()}.pdf`, originalName: 'paper.pdf', contentType: 'application/pdf',
    size: 100, sha256: createHash('sha256').update(randomUUID()).digest('hex')
  }).returning()
  await storeExtraction(db, projectId, file.id, {
    ok: true, text: { pages: pages.map((text, i) => ({ number: i + 1, text })), sections: [], metadata: { pageCount: pages.length, encrypted: false, ocrPages: [] } }
  })
  await db.insert(articles).values({ projectId, title: `Article ${file.id}`, sourceIndex: 0, fullTextFileId: file.id })
  return file.id
}

/** In SQL naming only the name: the migration tests create projects before later migrations add columns. */
export async function createProject(db: Database, name = 'retrieval'): Promise<string> {
  const { rows: [project] } = await db.execute<{ id: string }>(sql`INSERT INTO projects (name) VALUES (${name}) RETURNING id`)
  return project.id
}

/** Pages of random words: with chunks of 20 words and no overlap, each page gives `words / 20` chunks. */
export function randomPages(random: () => number, pages: number, words: number): string[] {
  return Array.from({ length: pages }, () => Array.from({ length: words }, () => `w${Math.floor(random() * 3000)}`).join(' '))
}
