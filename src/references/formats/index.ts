/**
 * The registry of import formats.
 *
 * Order matters for detection (see `detectFormat` in ../import.ts): every
 * format whose `sniff` accepts a file's beginning is a candidate, the file
 * extension breaks ties between candidates, and without a matching extension
 * the earliest format in this array wins. So the most specific signatures
 * come first and permissive ones last:
 *   1. MEDLINE ("PMID- " lines), Web of Science ("FN"/"VR" header, "PT J")
 *      and RIS ("TY  - ") are line-tagged formats with unmistakable tags;
 *   2. BibTeX ("@article{" at the start of a line);
 *   3. XML and JSON formats (root element / structure);
 *   4. tabular formats last: almost any text sniffs as one-column CSV.
 */
import { bibtexFormat } from './bibtex.ts'
import { medlineFormat } from './medline.ts'
import { risFormat } from './ris.ts'
import type { FormatId, ReferenceFormat } from './types.ts'
import { wosFormat } from './wos.ts'

export const formats: ReferenceFormat[] = [
  medlineFormat,
  wosFormat,
  risFormat,
  bibtexFormat
  // ── XML, JSON and tabular formats are registered below this line, in this order:
  // pubmed-xml, endnote-xml, zotero-rdf, csl-json, then csv, tsv, xlsx (tabular last; see above).
]

/** The registered format with this id, or undefined when it is not registered. */
export function formatById(id: FormatId): ReferenceFormat | undefined {
  return formats.find((format) => format.id === id)
}
