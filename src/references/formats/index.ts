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
import { cslJsonFormat } from './csl-json.ts'
import { endnoteXmlFormat } from './endnote-xml.ts'
import { medlineFormat } from './medline.ts'
import { pubmedXmlFormat } from './pubmed-xml.ts'
import { risFormat } from './ris.ts'
import { csvFormat, tsvFormat, xlsxFormat } from './tabular.ts'
import type { FormatId, ReferenceFormat } from './types.ts'
import { wosFormat } from './wos.ts'
import { zoteroRdfFormat } from './zotero-rdf.ts'

export const formats: ReferenceFormat[] = [
  medlineFormat,
  wosFormat,
  risFormat,
  bibtexFormat,
  pubmedXmlFormat,
  endnoteXmlFormat,
  zoteroRdfFormat,
  cslJsonFormat,
  csvFormat,
  tsvFormat,
  xlsxFormat
]

/** The registered format with this id, or undefined when it is not registered. */
export function formatById(id: FormatId): ReferenceFormat | undefined {
  return formats.find((format) => format.id === id)
}
