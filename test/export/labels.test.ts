import t from 'tap'
import { decisionsFromLabels, labelLines, notesWithLabels, parseExportedLabel, parseExportedLabels } from '../../src/export/labels.ts'
import type { ExportItem } from '../../src/export/item.ts'
import { emptyRecord } from '../../src/references/model.ts'
import { labelFromNotes } from '../../src/references/text.ts'

const item: ExportItem = {
  record: { ...emptyRecord(), title: 'T', notes: ['Imported note', 'AnalyLit decision: exclude (stage: old)'] },
  decision: [
    { stage: 'title_abstract', decision: 'maybe', note: 'check\nthe methods' },
    { stage: 'full_text', decision: 'exclude', reason: 'wrong population' }
  ],
  tags: ['pilot', 'to; discuss']
}

t.test('labels are written latest stage first, one per line, in the documented form', async (t) => {
  t.same(labelLines(item), [
    'AnalyLit decision: exclude (stage: full_text)',
    'AnalyLit reason (stage: full_text): wrong population',
    'AnalyLit decision: maybe (stage: title_abstract)',
    'AnalyLit note (stage: title_abstract): check the methods',
    'AnalyLit tags: pilot; to, discuss'
  ])
  t.same(labelLines({ record: emptyRecord(), decision: [{ stage: '', decision: 'include' }] }), ['AnalyLit decision: include'])
  t.same(labelLines({ record: emptyRecord() }), [])
})

t.test('stale labels among the record notes are dropped, other notes kept', async (t) => {
  const notes = notesWithLabels(item)
  t.equal(notes[0], 'Imported note')
  t.notOk(notes.some((note) => note.includes('(stage: old)')))
})

t.test('the importers read the final decision from the first label', async (t) => {
  t.equal(labelFromNotes(labelLines(item)), 'exclude')
})

t.test('each label reads back, in both stage positions', async (t) => {
  t.same(parseExportedLabel('AnalyLit decision: include (stage: full_text)'), { kind: 'decision', decision: 'include', stage: 'full_text' })
  t.same(parseExportedLabel('AnalyLit decision (title_abstract): Exclude'), { kind: 'decision', decision: 'exclude', stage: 'title_abstract' })
  t.same(parseExportedLabel('AnalyLit decision: maybe'), { kind: 'decision', decision: 'maybe' })
  t.same(parseExportedLabel('AnalyLit reason (stage: full_text): no control group: single arm'), {
    kind: 'reason', text: 'no control group: single arm', stage: 'full_text'
  })
  t.same(parseExportedLabel('AnalyLit note: see (table 2)'), { kind: 'note', text: 'see (table 2)' })
  t.same(parseExportedLabel('AnalyLit tags: a; b c'), { kind: 'tags', tags: ['a', 'b c'] })
  t.equal(parseExportedLabel('ASReview_relevant'), undefined)
  t.equal(parseExportedLabel('AnalyLit decision: perhaps'), undefined)
})

t.test('labels joined into one string (BibTeX notes) are split and decisions rebuilt in stage order', async (t) => {
  const joined = `Imported note ${labelLines(item).join(' ')}`
  const labels = parseExportedLabels(joined)
  t.equal(labels.length, 5)
  t.same(decisionsFromLabels(labels), {
    decision: [
      { stage: 'title_abstract', decision: 'maybe', note: 'check the methods' },
      { stage: 'full_text', decision: 'exclude', reason: 'wrong population' }
    ],
    tags: ['pilot', 'to, discuss']
  })
})

t.test('an import reads the label block first, else the label lines with their stages (exports of earlier versions)', async (t) => {
  const { carriedDecisions, notesWithLabels: notes } = await import('../../src/export/labels.ts')
  const lines = labelLines(item)
  t.same(carriedDecisions({ ...emptyRecord(), notes: ['Imported note', ...lines] }), [
    { stage: 'title_abstract', decision: 'maybe', note: 'check the methods' },
    { stage: 'full_text', decision: 'exclude', reason: 'wrong population', tags: ['pilot', 'to, discuss'] }
  ], 'a full-text exclusion stays at its stage')
  const withBlock = notes({ ...item, screening: [{ stage: 'full_text', decision: 'exclude', reason: 'r', note: 'n\nn', tags: ['a;b'], source: 'human', reviewer: { email: 'a@b.c' } }] })
  t.match(withBlock.at(-1), /^AnalyLit data v1: [A-Za-z0-9+/]+=*$/)
  t.same(carriedDecisions({ ...emptyRecord(), notes: [withBlock.join(' ')] }),
    [{ stage: 'full_text', decision: 'exclude', reason: 'r', note: 'n\nn', tags: ['a;b'], source: 'human', reviewer: { email: 'a@b.c' } }],
    'the block wins over the lines, exactly, even with the notes joined into one string')
  t.same(carriedDecisions({ ...emptyRecord(), notes: ['AnalyLit decision: include'] }), [], 'a label without a stage is left to the format\'s label')
  t.same(carriedDecisions({ ...emptyRecord(), notes: ['AnalyLit data v1: bm90IGpzb24=', ...lines] }).length, 2, 'an unreadable block falls back to the lines')
})
