import t from 'tap'
import { diagramInput, prismaDiagramSvg, type PrismaDiagramInput } from '../../src/reporting/prisma-diagram.ts'
import { svgToPdf, svgToPng } from '../../src/reporting/render.ts'
import { Unsupported } from '../../src/errors.ts'

/** The text of each box (`<g class="…">`), its lines joined by spaces. */
function boxes(svg: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of svg.matchAll(/<g class="([\w-]+)">(.*?)<\/g>/g)) {
    out.set(m[1], [...m[2].matchAll(/<text[^>]*>(.*?)<\/text>/g)].map((x) => x[1]).join(' '))
  }
  return out
}
const lines = (svg: string, cls: string) => [...(svg.match(new RegExp(`<g class="${cls}">(.*?)</g>`))?.[1] ?? '').matchAll(/<text[^>]*>(.*?)<\/text>/g)].map((x) => x[1])

const base: PrismaDiagramInput = {
  databases: [{ name: 'PubMed', n: 120 }, { name: 'Scopus', n: 80 }],
  registers: [{ name: 'ClinicalTrials.gov', n: 5 }],
  duplicates: 40,
  automation: 0,
  otherRemoved: 0,
  screened: 165,
  screenedExcluded: 100,
  sought: 65,
  notRetrieved: 2,
  assessed: 63,
  excluded: [{ reason: 'wrong population', n: 10 }, { reason: 'not an evaluation of a conversational agent used in routine clinical care for adults', n: 5 }],
  studiesIncluded: 48,
  reportsIncluded: 48
}

t.test('the boxes of the template with their numbers', async (t) => {
  const svg = prismaDiagramSvg(base)
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  const b = boxes(svg)
  t.match(b.get('identified'), 'Records identified from: Databases (n = 200) PubMed (n = 120) Scopus (n = 80) Registers (n = 5) ClinicalTrials.gov (n = 5)')
  t.match(b.get('removed'), /Duplicate records removed \(n = 40\)/)
  t.match(b.get('removed'), /automation tools \(n = 0\)/)
  t.equal(b.get('screened'), 'Records screened (n = 165)')
  t.equal(b.get('screened-excluded'), 'Records excluded (n = 100)')
  t.equal(b.get('sought'), 'Reports sought for retrieval (n = 65)')
  t.equal(b.get('not-retrieved'), 'Reports not retrieved (n = 2)')
  t.equal(b.get('assessed'), 'Reports assessed for eligibility (n = 63)')
  t.match(b.get('assessed-excluded'), /^Reports excluded \(n = 15\) wrong population \(n = 10\) not an evaluation/)
  t.equal(b.get('included'), 'Studies included in review (n = 48) Reports of included studies (n = 48)')
  t.equal(b.get('header-databases'), 'Identification of studies via databases and registers')
  for (const phase of ['Identification', 'Screening', 'Included']) t.match(svg, `>${phase}</text>`)
  t.notOk(b.has('header-other'), 'no other-methods column without other methods')
  t.notOk(b.has('other-identified'))
  t.notOk(b.has('previous'))
  t.notMatch(svg, /†/, 'nothing marked as entered by hand')
})

t.test('a long reason is wrapped over lines that fit the box, its count on the last', async (t) => {
  const excluded = lines(prismaDiagramSvg(base), 'assessed-excluded')
  const long = excluded.slice(2)
  t.ok(long.length >= 3, `wrapped over ${long.length} lines`)
  t.match(long.at(-1), /\(n = 5\)$/)
  t.ok(long.every((l) => l.length < 40), 'each line short enough for the box')
  const heights = [...prismaDiagramSvg(base).matchAll(/<g class="assessed-excluded"><rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]))
  const short = [...prismaDiagramSvg({ ...base, excluded: [{ reason: 'x', n: 1 }] }).matchAll(/<g class="assessed-excluded"><rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]))
  t.ok(heights[0] > short[0], 'the box grows with its text')
})

t.test('other methods get their own column; previous-version boxes for updates', async (t) => {
  const svg = prismaDiagramSvg({
    ...base,
    otherMethods: { sources: [{ name: 'Citation searching', n: 7 }, { name: 'Websites', n: 3 }], sought: 10, notRetrieved: 1, assessed: 9, excluded: [{ reason: 'no outcome', n: 4 }] },
    previous: { studies: 12, reports: 14 }
  })
  const b = boxes(svg)
  t.equal(b.get('header-other'), 'Identification of studies via other methods')
  t.equal(b.get('other-identified'), 'Records identified from: Citation searching (n = 7) Websites (n = 3)')
  t.equal(b.get('other-sought'), 'Reports sought for retrieval (n = 10)')
  t.equal(b.get('other-not-retrieved'), 'Reports not retrieved (n = 1)')
  t.equal(b.get('other-assessed'), 'Reports assessed for eligibility (n = 9)')
  t.equal(b.get('other-excluded'), 'Reports excluded (n = 4) no outcome (n = 4)')
  t.equal(b.get('header-databases'), 'Identification of new studies via databases and registers')
  t.equal(b.get('previous'), 'Studies included in previous version of review (n = 12) Reports of studies included in previous version of review (n = 14)')
  t.equal(b.get('included'), 'New studies included in review (n = 48) Reports of new included studies (n = 48)')
  t.equal(b.get('total-included'), 'Total studies included in review (n = 60) Reports of total included studies (n = 62)')
})

t.test('manual overrides are set apart and explained; unknown counts say so', async (t) => {
  const svg = prismaDiagramSvg({ ...base, automation: { n: 30, note: 'marked ineligible by the RCT classifier' }, notRetrieved: null })
  t.match(boxes(svg).get('removed'), /automation tools \(n = 30†\)/)
  t.match(svg, /<text [^>]*font-style="italic" class="override">[^<]*\(n = 30†\)<\/text>/)
  t.equal([...svg.matchAll(/class="override">([^<]*)</g)].map((m) => m[1]).join(' '), 'Records marked as ineligible by automation tools (n = 30†)', 'only the overridden line is italic')
  t.match(boxes(svg).get('override-notes'), /Entered by hand.*Records marked as ineligible by automation tools: marked ineligible by the RCT classifier/)
  t.equal(boxes(svg).get('not-retrieved'), 'Reports not retrieved (n = –)')
})

t.test('text is escaped', async (t) => {
  const svg = prismaDiagramSvg({ ...base, databases: [{ name: 'A&B <db> "x"', n: 1 }], excluded: [{ reason: '<script>', n: 1 }] }, { title: 'R&D <review>' })
  t.notMatch(svg, /<script>|<db>|<review>/)
  t.match(svg, 'A&amp;B &lt;db&gt; &quot;x&quot;')
  t.match(svg, '&lt;script&gt;')
  t.match(svg, 'R&amp;D &lt;review&gt;')
})

t.test('diagramInput maps the service counts to the boxes', async (t) => {
  const counts = {
    identification: {
      sources: [
        { kind: 'file', sourceDatabase: 'Scopus', batches: 1, records: 80 },
        { kind: 'search', sourceDatabase: 'PubMed', batches: 2, records: 100 },
        { kind: 'file', sourceDatabase: 'PubMed', batches: 1, records: 20 },
        { kind: 'file', sourceDatabase: 'ClinicalTrials.gov', batches: 1, records: 5 },
        { kind: 'file', sourceDatabase: null, batches: 1, records: 3 },
        { kind: 'citations', sourceDatabase: 'OpenAlex', batches: 1, records: 7 },
        { kind: 'other', sourceDatabase: null, batches: 0, records: 2 }
      ],
      total: 217,
      duplicatesRemoved: 40,
      recordsAfterDuplicates: 177
    },
    screening: {
      titleAbstract: { records: 177, screened: 170, excluded: 100, included: 60, maybe: 10, awaiting: 7, conflicts: 0 },
      fullText: { soughtForRetrieval: 70, assessed: 66, excluded: 16, exclusionReasons: [{ reason: 'wrong population', count: 16 }], included: 50, maybe: 0, awaiting: 4, conflicts: 0 }
    },
    included: 50
  }
  const input = diagramInput(counts, { studiesIncluded: { n: 45, note: 'five reports are companions of other studies' } })
  t.same(input.databases, [{ name: 'Scopus', n: 80 }, { name: 'PubMed', n: 120 }, { name: 'Database not stated', n: 3 }])
  t.same(input.registers, [{ name: 'ClinicalTrials.gov', n: 5 }])
  t.same(input.otherMethods?.sources, [{ name: 'Citation searching (OpenAlex)', n: 7 }, { name: 'Records added by hand', n: 2 }])
  t.equal(input.screened, 170)
  t.equal(input.sought, 70)
  t.equal(input.assessed, 66)
  t.same(input.excluded, [{ reason: 'wrong population', n: 16 }])
  t.same(input.studiesIncluded, { n: 45, note: 'five reports are companions of other studies' })
  t.equal(input.reportsIncluded, 50)
  t.equal(input.notRetrieved, null, 'the records cannot tell which reports were not retrieved')
  const b = boxes(prismaDiagramSvg(input))
  t.match(b.get('included'), 'Studies included in review (n = 45†) Reports of included studies (n = 50)')
  t.equal(b.get('other-identified'), 'Records identified from: Citation searching (OpenAlex) (n = 7) Records added by hand (n = 2)')
  t.notOk(b.has('other-sought'), 'screened with the databases\' records: no separate retrieval boxes')
  t.notOk(b.has('other-assessed'))
  t.same(diagramInput({ ...counts, identification: { ...counts.identification, sources: counts.identification.sources.slice(0, 2) } }).otherMethods, undefined)
})

t.test('PNG of the diagram, at twice its size', async (t) => {
  const svg = prismaDiagramSvg(base)
  const png = await svgToPng(svg)
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file')
  const [, w, h] = svg.match(/width="([\d.]+)" height="([\d.]+)"/)!.map(Number)
  t.equal(png.readUInt32BE(16), Math.ceil(w * 2))
  t.equal(png.readUInt32BE(20), Math.ceil(h * 2))
})

t.test('PDF of the diagram: one vector page the size of the figure', async (t) => {
  const svg = prismaDiagramSvg({ ...base, automation: { n: 3, note: 'by hand' } })
  const pdf = (await svgToPdf(svg)).toString('latin1')
  t.match(pdf, /^%PDF-1\.\d/)
  const [, w, h] = svg.match(/width="([\d.]+)" height="([\d.]+)"/)!.map(Number)
  const box = pdf.match(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/)!
  t.equal(Number(box[1]), w * 0.75)
  t.equal(Number(box[2]), h * 0.75)
  t.equal(pdf.match(/\/Type \/Page\b/g)?.length, 1)
  t.match(pdf, '/BaseFont /Helvetica-Oblique', 'overrides set in italics')
  await t.rejects(svgToPdf('<svg/>'), Unsupported)
})
