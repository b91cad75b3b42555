/**
 * The hand-labelled export set (test/dedup/fixtures/export-labels.json):
 * real exports of overlapping libraries, read with the project's parsers,
 * with the duplicate clusters a reviewer found among them.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { DedupItem } from '../../src/dedup/cluster.ts'
import { openReferenceFile } from '../../src/references/import.ts'

const EXPORTS = new URL('../../../shared/datasets/exports/', import.meta.url)
const LABELS = new URL('../dedup/fixtures/export-labels.json', import.meta.url)

interface Labels {
  files: string[]
  records: number
  clusters: string[][]
  hardNegatives: Array<{ a: string; b: string; kind: string; note: string }>
}

export const labelledExportsMissing = !existsSync(EXPORTS)

export async function loadLabelledExports(): Promise<{ items: DedupItem[]; truth: Map<string, string>; labels: Labels }> {
  const labels = JSON.parse(readFileSync(LABELS, 'utf8')) as Labels
  const items: DedupItem[] = []
  for (const file of labels.files) {
    const opened = await openReferenceFile(new URL(file, EXPORTS).pathname)
    let position = 0
    for await (const item of opened.items) if (item.kind === 'record') items.push({ id: `${file}#${position++}`, record: item.record })
  }
  if (items.length !== labels.records) throw new Error(`expected ${labels.records} records, read ${items.length}`)
  const truth = new Map(items.map((item) => [item.id, item.id]))
  for (const cluster of labels.clusters) for (const id of cluster) truth.set(id, cluster[0])
  return { items, truth, labels }
}
