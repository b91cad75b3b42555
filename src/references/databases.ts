/**
 * Names of bibliographic databases, as exports spell them, brought to one
 * spelling so that PRISMA counts the records of one database together
 * ("EMBASE", "Embase.com" and "Ovid Embase" are all Embase).
 *
 * PubMed and MEDLINE stay apart: PubMed's exports (MEDLINE/.nbib, PubMed
 * XML, RIS with `DP  - NLM`) are "PubMed"; MEDLINE searched through another
 * platform (Ovid, EBSCOhost, the MEDLINE records of an Embase.com export,
 * tagged `DB  - Medline`) is "MEDLINE", a search of its own in a PRISMA
 * diagram. Names not listed are kept as written.
 */

const CANONICAL: Array<[RegExp, string]> = [
  [/^(?:pubmed|nlm|pubmed\s*\(nlm\)|national library of medicine)$/i, 'PubMed'],
  [/medline/i, 'MEDLINE'],
  [/embase/i, 'Embase'],
  [/^scopus$/i, 'Scopus'],
  [/web of science|^wos$|^isi web of|web of knowledge/i, 'Web of Science'],
  [/psyc\s*info/i, 'APA PsycInfo'],
  [/cinahl/i, 'CINAHL'],
  [/cochrane|^central$/i, 'Cochrane Library'],
  [/^europe\s*pmc$/i, 'Europe PMC'],
  [/crossref/i, 'Crossref'],
  [/^openalex$/i, 'OpenAlex'],
  [/^semantic scholar$/i, 'Semantic Scholar'],
  [/^arxiv(?:\.org)?$/i, 'arXiv'],
  [/^google scholar$/i, 'Google Scholar'],
  [/^ieee\s*xplore$/i, 'IEEE Xplore'],
  [/^acm digital library$/i, 'ACM Digital Library']
]

/** Reference managers and screening tools: where a record passed, not the database it was found in. */
const TOOLS = /^(?:endnote|zotero|mendeley|rayyan|citavi|refworks|jabref|covidence|asreview)$/i

/** The canonical spelling of a database name; undefined for none (blank). */
export function canonicalDatabase(name: string | undefined | null): string | undefined {
  const trimmed = name?.replace(/\s+/g, ' ').trim()
  if (!trimmed) return undefined
  return CANONICAL.find(([pattern]) => pattern.test(trimmed))?.[1] ?? trimmed
}

/**
 * The database a record was found in: its own, when its file names one, else
 * the one the import was given. A reference manager named by the record
 * (EndNote XML, Rayyan ids) is no database and gives way to the import's.
 */
export function recordDatabase(own: string | undefined, fallback: string | undefined): string | undefined {
  const database = canonicalDatabase(own)
  return database && !TOOLS.test(database) ? database : canonicalDatabase(fallback)
}
