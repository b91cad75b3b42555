/**
 * Normalisation of persistent identifiers, shared by importers, connectors
 * and the deduplicator so that "https://doi.org/10.1000/ABC" and
 * "doi:10.1000/abc" compare equal everywhere.
 */

const DOI_PATTERN = /10\.\d{4,9}\/\S+/i

/** Lower-case DOI without resolver prefix or trailing punctuation, or undefined. */
export function normalizeDoi(value: string | undefined | null): string | undefined {
  if (!value) return undefined
  let text = value.trim()
  try {
    text = decodeURIComponent(text)
  } catch {
    // keep the raw text when it is not valid percent-encoding
  }
  const match = DOI_PATTERN.exec(text)
  if (!match) return undefined
  return match[0].replace(/[.,;:)\]}>]+$/, '').toLowerCase()
}

/** PubMed id as digits only, or undefined. */
export function normalizePmid(value: string | number | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined
  const match = /(?:pmid[:\s]*)?(\d{1,9})/i.exec(String(value).trim())
  if (!match) return undefined
  const digits = match[1].replace(/^0+/, '')
  return digits.length > 0 ? digits : undefined
}

/** PubMed Central id as "PMC" + digits, or undefined. */
export function normalizePmcid(value: string | undefined | null): string | undefined {
  if (!value) return undefined
  const match = /PMC\s*(\d+)/i.exec(value)
  return match ? `PMC${match[1]}` : undefined
}

/** arXiv id without "arXiv:" prefix, URL or version suffix, or undefined. */
export function normalizeArxivId(value: string | undefined | null): string | undefined {
  if (!value) return undefined
  const text = value.trim()
  const modern = /(?:arxiv[:/]|abs\/|pdf\/|^)(\d{4}\.\d{4,5})(?:v\d+)?/i.exec(text)
  if (modern) return modern[1]
  const legacy = /(?:arxiv[:/]|abs\/|pdf\/|^)([a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?/i.exec(text)
  return legacy ? legacy[1] : undefined
}

/** First plausible four-digit publication year in a date-like string, or undefined. */
export function parseYear(value: string | number | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined
  const match = /(?:^|[^\d])(1[5-9]\d\d|20\d\d|21\d\d)(?:$|[^\d])/.exec(String(value))
  return match ? Number(match[1]) : undefined
}
