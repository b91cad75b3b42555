/**
 * What every LLM task reading a full text needs (LLM extraction, LLM
 * risk-of-bias assessment): the passages of a long text most relevant to a
 * question, by lexical overlap (not truncation), and the verification of a
 * quote the model gives against the text.
 */
export interface TextPage { page: number; text: string }

const fold = (text: string) => text.normalize('NFKC').replace(/-\s*\n\s*/g, '').replace(/\s+/g, ' ').trim().toLowerCase()

/** The page where the quote occurs (spacing, case and end-of-line hyphenation folded), or null. */
export function findQuote(quote: string, pages: TextPage[]): number | null {
  const wanted = fold(quote)
  if (wanted.length === 0) return null
  for (const p of pages) if (fold(p.text).includes(wanted)) return p.page
  return null
}

/** The words (three letters or more, folded) of a text. */
export const words = (text: string) => new Set(fold(text).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 2))

/**
 * The passages (paragraphs, or ~`size`-character pieces of long ones) sharing
 * most words with `query`, up to `budget` characters, in the text's order.
 */
export function selectPassages(pages: TextPage[], query: string, budget = 6000, size = 800): TextPage[] {
  const terms = words(query)
  const passages: Array<TextPage & { order: number; score: number }> = []
  for (const p of pages) {
    for (const paragraph of p.text.split(/\n\s*\n/)) {
      for (let i = 0; i < paragraph.length; i += size) {
        const text = paragraph.slice(i, i + size).trim()
        if (!text) continue
        const own = words(text)
        let score = 0
        for (const w of own) if (terms.has(w)) score++
        passages.push({ page: p.page, text, order: passages.length, score: score / Math.sqrt(own.size + 1) })
      }
    }
  }
  const chosen: typeof passages = []
  let used = 0
  for (const p of [...passages].sort((a, b) => b.score - a.score || a.order - b.order)) {
    if (used + p.text.length > budget) continue
    chosen.push(p)
    used += p.text.length
  }
  return chosen.sort((a, b) => a.order - b.order).map(({ page, text }) => ({ page, text }))
}
