/**
 * Formatted bibliographies through citeproc-js and the CSL styles and locales
 * shipped in ./csl (README there: sources and licence). Articles become
 * CSL-JSON items through the CSL-JSON export writer (src/export/csl-json.ts),
 * without the fields a reference list never prints (abstract, keywords,
 * notes with the screening labels); citeproc then orders and formats them as
 * the style says: author-date styles alphabetically, numeric ones (Vancouver,
 * IEEE) in the order given, which is first author, year, then title.
 */

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cslItem, type CslItem } from '../export/csl-json.ts'
import type { ExportItem } from '../export/item.ts'
import { CitationKeys } from '../export/keys.ts'

export const BIBLIOGRAPHY_STYLES = {
  apa: { file: 'apa.csl', label: 'APA 7th edition' },
  vancouver: { file: 'nlm-citation-sequence.csl', label: 'Vancouver (NLM, Citing Medicine 2nd edition)' },
  // A British guide: its examples have British quotation marks and punctuation.
  harvard: { file: 'harvard-cite-them-right.csl', label: 'Harvard (Cite Them Right 12th edition)', locale: 'en-GB' },
  chicago: { file: 'chicago-author-date.csl', label: 'Chicago Manual of Style 18th edition (author-date)' },
  ieee: { file: 'ieee.csl', label: 'IEEE' }
} as const
export type BibliographyStyle = keyof typeof BIBLIOGRAPHY_STYLES

export const BIBLIOGRAPHY_LOCALES = ['en-US', 'en-GB', 'fr-FR'] as const
export type BibliographyLocale = (typeof BIBLIOGRAPHY_LOCALES)[number]

/** citeproc's output formats. */
export type BibliographyOutput = 'text' | 'html' | 'rtf'

export interface BibliographyOptions {
  style: BibliographyStyle
  format: BibliographyOutput
  /** The language of terms and dates ("et al.", "in", months); the style's own by default. */
  locale?: BibliographyLocale
}

export interface Bibliography {
  /** One formatted reference per item, in the style's order, each on one line. */
  entries: string[]
  /** The whole bibliography: text one reference a line, an HTML `<div class="csl-bib-body">`, or an RTF document. */
  body: string
}

const cslFile = (name: string) => readFileSync(new URL(`./csl/${name}`, import.meta.url), 'utf8')
const styles = new Map<BibliographyStyle, string>()
const locales = new Map<string, string>()

function styleXml(style: BibliographyStyle): string {
  let xml = styles.get(style)
  if (!xml) styles.set(style, xml = cslFile(BIBLIOGRAPHY_STYLES[style].file))
  return xml
}

/** The locale citeproc asks for; en-US (which it always loads) stands in for any other. */
function localeXml(lang: string): string {
  const known = (BIBLIOGRAPHY_LOCALES as readonly string[]).includes(lang) ? lang : lang.startsWith('fr') ? 'fr-FR' : lang === 'en-GB' ? 'en-GB' : 'en-US'
  let xml = locales.get(known)
  if (!xml) locales.set(known, xml = cslFile(`locales-${known}.xml`))
  return xml
}

/** Fields of the CSL-JSON export that are the review's, not the reference's. */
const NOT_PRINTED = ['abstract', 'keyword', 'note', 'source'] as const

/** The CSL item a bibliography formats: the export's item without screening notes, keywords or abstract. */
export function bibliographyItem(item: ExportItem, id: string): CslItem {
  const csl = cslItem(item, id)
  for (const field of NOT_PRINTED) delete csl[field]
  return csl
}

const sortKey = (item: ExportItem) => {
  const first = item.record.authors?.[0]
  return [first?.family ?? '', String(item.record.year ?? ''), item.record.title ?? ''].map((part) => part.toLocaleLowerCase('en'))
}

type CiteprocEngine = {
  setOutputFormat(format: string): void
  updateItems(ids: string[]): void
  makeBibliography(): [{ bibstart: string; bibend: string }, string[]] | false
}
type Citeproc = { Engine: new (sys: object, style: string, lang?: string, forceLang?: boolean) => CiteprocEngine }

let citeproc: Citeproc | undefined
function engineClass(): Citeproc {
  // citeproc-js is a CommonJS bundle without types.
  citeproc ??= createRequire(import.meta.url)('citeproc') as Citeproc
  return citeproc
}

/** Items the engine being called reads; citeproc asks for them while it formats. */
let current = new Map<string, CslItem>()
const sys = { retrieveLocale: localeXml, retrieveItem: (id: string) => current.get(id) }
/** Building an engine parses its style, which takes seconds for the largest styles: one per style and locale, reused. */
const engines = new Map<string, CiteprocEngine>()

function engineFor(style: BibliographyStyle, locale: BibliographyLocale | undefined): CiteprocEngine {
  const key = `${style} ${locale ?? ''}`
  let engine = engines.get(key)
  if (!engine) {
    const { Engine } = engineClass()
    engines.set(key, engine = new Engine(sys, styleXml(style), locale, Boolean(locale)))
  }
  return engine
}

/** The items formatted in the style; an empty list gives an empty bibliography. */
export function formatBibliography(items: readonly ExportItem[], options: BibliographyOptions): Bibliography {
  const keys = new CitationKeys()
  const byId = new Map<string, CslItem>()
  const ordered = items.map((item) => ({ item, key: sortKey(item) }))
    .sort((a, b) => a.key[0].localeCompare(b.key[0], 'en') || a.key[1].localeCompare(b.key[1]) || a.key[2].localeCompare(b.key[2], 'en'))
  for (const { item } of ordered) {
    const id = keys.next(item.record)
    byId.set(id, bibliographyItem(item, id))
  }
  const style = BIBLIOGRAPHY_STYLES[options.style]
  const engine = engineFor(options.style, options.locale ?? ('locale' in style ? style.locale : undefined))
  // Synchronous from here to the end: no other call can swap the items in between.
  current = byId
  engine.setOutputFormat(options.format)
  engine.updateItems([...byId.keys()])
  const result = byId.size > 0 ? engine.makeBibliography() : false
  current = new Map()
  const raw = result ? result[1] : []
  const entries = raw.map((entry) => entry.replace(/\s*\n\s*/g, options.format === 'html' ? '' : ' ').trim())
  let body: string
  if (options.format === 'text') body = entries.map((e) => `${e}\n`).join('')
  else if (options.format === 'html') body = `<div class="csl-bib-body">\n${entries.map((e) => `  ${e}\n`).join('')}</div>\n`
  else body = `{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs24\n${entries.map((e) => `${e}\\par\n`).join('')}}\n`
  return { entries, body }
}
