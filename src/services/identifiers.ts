/**
 * Checking the identifiers a user pastes in (PMIDs, DOIs, PMCIDs, arXiv ids)
 * before a lookup task is queued: each list accepts the usual written forms
 * ("PMID: 123", "https://doi.org/10.…", "PMC123", "arXiv:2101.00001v2") and
 * is normalised; anything else is refused with a 400 that names it.
 */
import { Invalid } from '../errors.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid } from '../references/identifiers.ts'

export type IdentifierKind = 'pmids' | 'dois' | 'pmcids' | 'arxivIds'
export const IDENTIFIER_KINDS: readonly IdentifierKind[] = ['pmids', 'dois', 'pmcids', 'arxivIds']

export type IdentifierLists = Record<IdentifierKind, string[]>

/** Identifiers one lookup task may resolve. */
export const MAX_IDENTIFIERS = 5000

const STRICT: Record<IdentifierKind, RegExp> = {
  pmids: /^(?:pmid:?\s*)?\d{1,9}$/i,
  dois: /^(?:doi:\s*|https?:\/\/(?:dx\.)?doi\.org\/)?10\.\d{4,9}\/\S+$/i,
  pmcids: /^(?:pmcid:?\s*)?PMC\s*\d{1,9}$/i,
  arxivIds: /^(?:arxiv:\s*|https?:\/\/arxiv\.org\/(?:abs|pdf)\/)?(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[a-z]{2})?\/\d{7})(?:v\d+)?$/i
}

const NORMALIZE: Record<IdentifierKind, (value: string) => string | undefined> = {
  pmids: normalizePmid, dois: normalizeDoi, pmcids: normalizePmcid, arxivIds: normalizeArxivId
}

const NAMES: Record<IdentifierKind, string> = { pmids: 'PMID', dois: 'DOI', pmcids: 'PMCID', arxivIds: 'arXiv id' }

/** The normalised form of one identifier of a kind, or undefined when it is not one. */
export function normalizeIdentifier(kind: IdentifierKind, value: string): string | undefined {
  const text = value.trim()
  return STRICT[kind].test(text) ? NORMALIZE[kind](text) : undefined
}

/**
 * Normalises and de-duplicates each list. Throws Invalid naming the
 * first list with invalid entries (and those entries), or when no
 * identifier at all was given, or more than MAX_IDENTIFIERS.
 */
export function parseIdentifierLists(input: Partial<Record<IdentifierKind, string[]>>): IdentifierLists {
  const lists = { pmids: [], dois: [], pmcids: [], arxivIds: [] } as IdentifierLists
  for (const kind of IDENTIFIER_KINDS) {
    const values = input[kind] ?? []
    const invalid: string[] = []
    for (const value of values) {
      const normalized = normalizeIdentifier(kind, value)
      if (!normalized) invalid.push(value)
      else if (!lists[kind].includes(normalized)) lists[kind].push(normalized)
    }
    if (invalid.length > 0) {
      const shown = invalid.slice(0, 10).map((v) => JSON.stringify(v)).join(', ')
      throw new Invalid(`body.${kind}: not a valid ${NAMES[kind]}: ${shown}${invalid.length > 10 ? ` and ${invalid.length - 10} more` : ''}`, kind)
    }
  }
  const count = IDENTIFIER_KINDS.reduce((n, k) => n + lists[k].length, 0)
  if (count === 0) throw new Invalid('body: give at least one identifier in pmids, dois, pmcids or arxivIds', 'pmids')
  if (count > MAX_IDENTIFIERS) throw new Invalid(`body: at most ${MAX_IDENTIFIERS} identifiers per request (got ${count})`, 'pmids')
  return lists
}
