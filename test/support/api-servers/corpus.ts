/**
 * A deterministic corpus of papers that every fake API server renders in its
 * own documented format, so tests can compare what a connector returns with
 * what the "database" holds.
 */

export interface CorpusAuthor {
  family: string
  given: string
  orcid?: string
}

export interface CorpusPaper {
  /** Index in the corpus. */
  n: number
  pmid: string
  pmcid?: string
  doi: string
  arxivId?: string
  openalexId: string
  s2Id: string
  title: string
  /** Structured abstract sections; the first may be unlabelled. */
  abstract: Array<{ label?: string; text: string }>
  authors: CorpusAuthor[]
  collective?: string
  journal: string
  journalAbbrev: string
  issn: string
  volume: string
  issue: string
  pages: string
  /** YYYY-MM-DD */
  date: string
  year: number
  type: 'journal-article' | 'review' | 'preprint'
  keywords: string[]
  mesh: string[]
  language: string
  /** Indexes of the papers this one cites. */
  references: number[]
}

const TOPICS = ['digital therapeutic alliance', 'internet-delivered CBT', 'mobile health apps', 'chatbot counselling', 'telepsychiatry',
  'peer support forums', 'blended care', 'therapist-guided self-help', 'adolescent depression', 'anxiety disorders']
const DESIGNS = ['a randomised controlled trial', 'a systematic review', 'a qualitative study', 'a cohort study', 'a scoping review', 'a feasibility study']
const FAMILIES = ['Berger', 'Nguyen', 'van der Berg', "O'Connor", 'Müller', 'Okafor', 'García-López', 'Kowalski', 'Tanaka', 'Haddad', 'Smith', 'Andersson']
const GIVENS = ['Anna M', 'Thomas', 'Lucía', 'Kwame', 'Yuki', 'Sarah J', 'Piotr', 'Amira', 'Gerhard', 'Ingrid']
const JOURNALS: Array<[string, string, string]> = [
  ['Journal of Medical Internet Research', 'J Med Internet Res', '1438-8871'],
  ['Internet Interventions', 'Internet Interv', '2214-7829'],
  ['BMC Psychiatry', 'BMC Psychiatry', '1471-244X'],
  ['Psychotherapy Research', 'Psychother Res', '1050-3307']
]

function dateFor(n: number, count: number, fromYear: number, toYear: number): string {
  const start = Date.UTC(fromYear, 0, 1)
  const end = Date.UTC(toYear, 11, 31)
  const step = count > 1 ? (end - start) / (count - 1) : 0
  return new Date(start + Math.floor(n * step / 86_400_000) * 86_400_000).toISOString().slice(0, 10)
}

export function makeCorpus(count: number, options: { fromYear?: number; toYear?: number } = {}): CorpusPaper[] {
  const fromYear = options.fromYear ?? 1995
  const toYear = options.toYear ?? 2024
  const papers: CorpusPaper[] = []
  for (let n = 0; n < count; n++) {
    const topic = TOPICS[n % TOPICS.length]
    const design = DESIGNS[n % DESIGNS.length]
    const date = dateFor(n, count, fromYear, toYear)
    const [journal, journalAbbrev, issn] = JOURNALS[n % JOURNALS.length]
    const authorCount = 1 + (n % 4)
    const authors = Array.from({ length: authorCount }, (_, a) => ({
      family: FAMILIES[(n + a * 5) % FAMILIES.length],
      given: GIVENS[(n * 3 + a) % GIVENS.length],
      ...(a === 0 && n % 3 === 0 ? { orcid: `0000-0002-${String(1000 + (n % 9000)).padStart(4, '0')}-000X` } : {})
    }))
    papers.push({
      n,
      pmid: String(30_000_000 + n),
      ...(n % 2 === 0 ? { pmcid: `PMC${7_000_000 + n}` } : {}),
      doi: `10.5555/analylit.${n}`,
      ...(n % 5 === 0 ? { arxivId: `${String(10 + (n % 15)).padStart(2, '0')}${String(1 + (n % 12)).padStart(2, '0')}.${String(10000 + n).slice(-5)}` } : {}),
      openalexId: `W${4_000_000_000 + n}`,
      s2Id: `${(0xabc000 + n).toString(16)}${'0'.repeat(34)}`.slice(0, 40),
      title: `Effects of ${topic} on outcomes: ${design} (${n})`,
      abstract: n % 2 === 0
        ? [{ label: 'BACKGROUND', text: `Evidence on ${topic} is limited.` }, { label: 'RESULTS', text: `Paper ${n} found <small & "consistent"> effects.` }]
        : [{ text: `We studied ${topic} in ${design}; paper ${n}.` }],
      authors,
      ...(n % 7 === 0 ? { collective: 'AnalyLit Study Group' } : {}),
      journal,
      journalAbbrev,
      issn,
      volume: String(1 + (n % 30)),
      issue: String(1 + (n % 12)),
      pages: `${100 + n}-${110 + n}`,
      date,
      year: Number(date.slice(0, 4)),
      type: design.includes('review') ? 'review' : n % 11 === 0 ? 'preprint' : 'journal-article',
      keywords: [topic, design.replace(/^an? /, '')],
      mesh: n % 2 === 0 ? ['Humans', 'Telemedicine'] : ['Humans'],
      language: 'eng',
      references: Array.from({ length: n % 6 }, (_, r) => (n + 1 + r * 7) % count).filter((r) => r !== n)
    })
  }
  return papers
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export function abstractPlain(paper: CorpusPaper): string {
  return paper.abstract.map((s) => (s.label ? `${s.label}: ${s.text}` : s.text)).join('\n')
}
