import t from 'tap'
import { EXPORT_FORMATS, type ExportFormatId } from '../../src/export/index.ts'
import type { ExportDecision, ExportItem } from '../../src/export/item.ts'
import { carriedDecisions } from '../../src/export/labels.ts'
import { labelBlockFromNotes, type LabelDecision } from '../../src/references/label-block.ts'
import { emptyRecord, type ReferenceRecord } from '../../src/references/model.ts'
import { exportAndImport } from '../support/export.ts'
import { Random, trickyNote, trickyText } from '../support/random.ts'

const STAGES = ['title_abstract', 'full_text'] as const
const DATABASES = ['Scopus', 'PubMed', 'Web of Science', 'Embase; Ovid', '=cmd|" /C calc"!A0', 'Zotero “library”']

function randomDecision(random: Random, stage: string, at: Date): LabelDecision {
  const decision = random.pick(['include', 'exclude', 'maybe'] as const)
  const source = random.pick(['human', 'human', 'llm', 'resolution', 'import'])
  const reviewer = random.chance(0.9)
    ? { email: `r${random.int(1, 5)}@example.org`, ...(random.chance(0.5) ? { name: trickyText(random, 2) } : {}), kind: source === 'llm' ? 'llm' : 'human' }
    : undefined
  return {
    stage, decision,
    ...(decision === 'exclude' && random.chance(0.8) ? { reason: trickyText(random) } : {}),
    ...(random.chance(0.5) ? { note: trickyNote(random) } : {}),
    ...(random.chance(0.4) ? { tags: [...new Set(Array.from({ length: random.int(1, 3) }, () => trickyText(random, 2)))] } : {}),
    source, ...(reviewer ? { reviewer } : {}), at: at.toISOString()
  }
}

/** A random record with random current decisions at both stages; the label lines show the latest of each stage. */
function randomItem(random: Random, seed: number, k: number): ExportItem {
  const record: ReferenceRecord = {
    ...emptyRecord(),
    title: `${trickyText(random)} ${k}`,
    authors: [{ family: random.pick(['Müller', 'O\'Brien', 'van der Berg', 'Zhang']), given: 'A.' }],
    year: random.int(1990, 2026),
    doi: `10.5555/rt.${seed}.${k}`,
    ...(random.chance(0.3) ? { notes: [trickyText(random)] } : {}),
    ...(random.chance(0.8) ? { sourceDatabase: random.pick(DATABASES) } : {})
  }
  const screening: LabelDecision[] = []
  let time = Date.UTC(2026, 0, 1) + k * 60_000
  for (const stage of STAGES) {
    if (stage === 'full_text' && random.chance(0.5)) continue
    for (let n = random.int(0, 3); n > 0; n--) screening.push(randomDecision(random, stage, new Date(time += 1000)))
  }
  const decision: ExportDecision[] = []
  for (const stage of STAGES) {
    const last = screening.filter((d) => d.stage === stage).at(-1)
    if (last) decision.push({ stage, decision: last.decision, ...(last.reason ? { reason: last.reason } : {}), ...(last.note ? { note: last.note } : {}) })
  }
  const tags = [...new Set(screening.flatMap((d) => d.tags ?? []))].sort()
  return { record, ...(decision.length ? { decision } : {}), ...(tags.length ? { tags } : {}), ...(screening.length ? { screening } : {}) }
}

async function roundTrip(format: ExportFormatId, items: ExportItem[]): Promise<ReferenceRecord[]> {
  const { records, errors } = await exportAndImport(format, items)
  if (errors.length > 0) throw new Error(`${format}: ${errors[0]}`)
  return records
}

for (const format of Object.keys(EXPORT_FORMATS) as ExportFormatId[]) {
  t.test(`${format}: random records with random decisions come back with the same decisions, reviewers and source databases`, async (t) => {
    for (const seed of [1, 2, 3, 4]) {
      const random = new Random(seed * 7919)
      const items = Array.from({ length: 40 }, (_, k) => randomItem(random, seed, k))
      const records = await roundTrip(format, items)
      t.equal(records.length, items.length, `seed ${seed}: every record`)
      items.forEach((item, k) => {
        const back = records[k]
        const where = `seed ${seed} #${k}`
        t.equal(back.title, item.record.title, `${where}: title`)
        t.equal(back.doi, item.record.doi, `${where}: DOI`)
        const block = back.screening ?? labelBlockFromNotes(back.notes)
        t.equal(block?.sourceDatabase ?? back.sourceDatabase, item.record.sourceDatabase, `${where}: source database`)
        t.same(carriedDecisions(back), item.screening ?? [], `${where}: decisions`)
      })
    }
  })
}
