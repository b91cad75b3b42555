/**
 * Zotero exports with files ("Export Collection… > Zotero RDF" with "Export
 * Files", zipped): the `.rdf` sits at the top of the archive, or in the one
 * folder Zotero created ("Exported Items/Exported Items.rdf"), and each PDF
 * under `files/<id>/<name>.pdf` next to it; an item's `z:Attachment` names
 * that path, relative to the `.rdf` (`<z:attachment rdf:resource="files/…"/>`).
 */
import type { ZipEntryInfo } from './zip.ts'

/** The export's RDF file: the shallowest `.rdf` entry outside `files/`. */
export function zoteroRdfEntry(entries: ZipEntryInfo[]): ZipEntryInfo | undefined {
  const depth = (e: ZipEntryInfo) => e.name.split('/').length
  return entries
    .filter((e) => !e.directory && /\.rdf$/i.test(e.name) && !/(^|\/)files\//.test(e.name) && !e.name.startsWith('__MACOSX/'))
    .sort((a, b) => depth(a) - depth(b) || a.name.localeCompare(b.name))[0]
}

/** Unicode-normalised (archives made on macOS write names decomposed), `\` as `/`, no `./`. */
const key = (name: string) => name.normalize('NFC').replaceAll('\\', '/').replace(/^(\.\/)+/, '')

/**
 * Finds the entry of each attachment path written in the RDF: relative to
 * the RDF's folder, as written or percent-decoded (older Zotero versions
 * wrote URIs).
 */
export function attachmentResolver(entries: ZipEntryInfo[], rdf: ZipEntryInfo): (attachment: string) => ZipEntryInfo | undefined {
  const byName = new Map(entries.filter((e) => !e.directory).map((e) => [key(e.name), e]))
  const folder = rdf.name.includes('/') ? rdf.name.slice(0, rdf.name.lastIndexOf('/') + 1) : ''
  return (attachment) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(attachment) && !attachment.startsWith('files/')) return undefined
    const decoded = (() => { try { return decodeURIComponent(attachment) } catch { return attachment } })()
    for (const candidate of [attachment, decoded]) {
      const found = byName.get(key(folder + candidate)) ?? byName.get(key(candidate))
      if (found) return found
    }
    return undefined
  }
}
