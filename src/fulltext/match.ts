/**
 * Matching PDFs to a project's articles (bulk upload): by the DOI or PMID
 * found in the PDF (document information, XMP, first pages), then by the
 * file name (a DOI, a PMID, or a title-like name), then by title similarity
 * between the PDF's title and the articles' titles.
 */

export interface MatchArticle { id: string; doi: string | null; pmid: string | null; title: string }
export interface PdfFacts { fileName: string; doi?: string | null; pmid?: string | null; title?: string | null }
export type MatchRule = 'doi' | 'pmid' | 'file-name-doi' | 'file-name-pmid' | 'file-name-title' | 'title'
export interface Match { articleId: string; rule: MatchRule; similarity?: number }

/**
 * Titles match when the Dice coefficient of their word bigrams reaches this:
 * the same title with a different subtitle, punctuation or a typo scores
 * 0.8–0.95, while two titles of one field sharing a topic ("digital
 * therapeutic alliance …") stay below 0.6. A near-miss stays unmatched, to be
 * matched by hand, rather than attached to the wrong article.
 */
export const TITLE_THRESHOLD = 0.8

const normaliseDoi = (doi: string) => doi.trim().toLowerCase().replace(/^https?:\/\/(dx\.)?doi\.org\//, '')
const words = (text: string) => text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)

function bigrams(text: string): Map<string, number> {
  const w = words(text)
  const grams = new Map<string, number>()
  const list = w.length === 1 ? w : w.slice(1).map((x, i) => `${w[i]} ${x}`)
  for (const g of list) grams.set(g, (grams.get(g) ?? 0) + 1)
  return grams
}

/** Dice coefficient of two titles' word bigrams (0–1). */
export function titleSimilarity(a: string, b: string): number {
  const x = bigrams(a)
  const y = bigrams(b)
  const size = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0)
  const total = size(x) + size(y)
  if (total === 0) return 0
  let common = 0
  for (const [g, n] of x) common += Math.min(n, y.get(g) ?? 0)
  return (2 * common) / total
}

/** A DOI written in a file name: `10.1000_xyz.123.pdf`, `10.1000%2Fxyz.pdf`, `doi-10.1000-xyz.pdf` keeps the registrant prefix. */
function doiInName(stem: string): string[] {
  const decoded = (() => { try { return decodeURIComponent(stem) } catch { return stem } })()
  const m = /10\.\d{4,9}[/_](.+)$/.exec(decoded)
  if (!m) return []
  const prefix = /10\.\d{4,9}/.exec(decoded)![0]
  return [`${prefix}/${m[1]}`.toLowerCase(), `${prefix}/${m[1].replaceAll('_', '/')}`.toLowerCase()]
}

/** The article a PDF belongs to, with the rule that found it; undefined when no rule is sure enough. */
export function matchPdf(pdf: PdfFacts, candidates: MatchArticle[]): Match | undefined {
  const byDoi = new Map(candidates.filter((a) => a.doi).map((a) => [normaliseDoi(a.doi!), a.id]))
  const byPmid = new Map(candidates.filter((a) => a.pmid).map((a) => [a.pmid!.trim(), a.id]))
  if (pdf.doi) { const id = byDoi.get(normaliseDoi(pdf.doi)); if (id) return { articleId: id, rule: 'doi' } }
  if (pdf.pmid) { const id = byPmid.get(pdf.pmid.trim()); if (id) return { articleId: id, rule: 'pmid' } }
  const stem = pdf.fileName.replace(/\.pdf$/i, '')
  for (const doi of doiInName(stem)) { const id = byDoi.get(doi); if (id) return { articleId: id, rule: 'file-name-doi' } }
  const pmid = /^(?:pmid[-_ ]?)?(\d{6,9})$/i.exec(stem)?.[1]
  if (pmid && byPmid.has(pmid)) return { articleId: byPmid.get(pmid)!, rule: 'file-name-pmid' }
  const best = (title: string) => candidates.map((a) => ({ id: a.id, s: titleSimilarity(title, a.title) })).reduce((b, c) => c.s > b.s ? c : b, { id: '', s: 0 })
  if (words(stem).length >= 4) {
    const found = best(stem.replace(/[_-]+/g, ' '))
    if (found.s >= TITLE_THRESHOLD) return { articleId: found.id, rule: 'file-name-title', similarity: Math.round(found.s * 1000) / 1000 }
  }
  if (pdf.title && words(pdf.title).length >= 3) {
    const found = best(pdf.title)
    if (found.s >= TITLE_THRESHOLD) return { articleId: found.id, rule: 'title', similarity: Math.round(found.s * 1000) / 1000 }
  }
  return undefined
}
