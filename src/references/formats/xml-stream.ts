/**
 * Streaming helpers shared by the XML importers (PubMed, EndNote, Zotero RDF).
 *
 * The document is fed chunk by chunk to saxes; only the elements that make up
 * one record are materialised as small trees, handed out as soon as they are
 * closed and then forgotten, so memory stays flat however large the file.
 * Well-formedness errors are attributed to the record they occur in (which is
 * then reported as an error item) and parsing goes on.
 */
import { SaxesParser } from 'saxes'
import type { SaxesOptions, SaxesTag, SaxesTagNS, SaxesTagPlain } from 'saxes'
import { DEFAULT_IMPORT_LIMITS, ImportLimitError, type ImportLimits } from '../limits.ts'

export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlNode[]
}
export type XmlNode = XmlElement | string

export type XmlStreamItem =
  | { kind: 'element'; element: XmlElement; line: number; errors: string[] }
  | { kind: 'error'; message: string; line: number }

export interface XmlStreamOptions {
  /** Whether the element `name` opening at `depth` (root element = 0) is captured whole. */
  capture(name: string, depth: number): boolean
  /**
   * Names of captured elements that never legitimately nest: one opening while
   * another is still open means the open one was never closed (truncated
   * record), so the open one is reported as an error and capture restarts.
   */
  unnestable?: ReadonlySet<string>
  /** Called with the root element's name; throws when the document is not of the expected kind. */
  checkRoot(name: string): void
  /**
   * Resolve namespaces and name elements and attributes `prefix:local` with a
   * canonical prefix per namespace URI, whatever prefixes the file declares.
   */
  canonicalPrefixes?: Record<string, string>
  /**
   * IMPORT_MAX_RECORD_CHARS bounds the text and attribute values gathered for
   * one captured element, and any run of text, attributes or comment saxes
   * holds outside them (default: DEFAULT_IMPORT_LIMITS).
   */
  limits?: ImportLimits
}

/**
 * HTML named entities that hand-edited or tool-generated "XML" sometimes
 * carries although no DTD declares them; XML's five are built into saxes.
 */
const HTML_ENTITIES: Record<string, string> = {
  nbsp: '\u00a0', ndash: '–', mdash: '—', hellip: '…', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”',
  copy: '©', reg: '®', trade: '™', deg: '°', plusmn: '±', times: '×', micro: 'µ', middot: '·'
}

/** An ampersand that does not start an entity or character reference. */
const BARE_AMPERSAND = /&(?![A-Za-z_][\w.-]{0,40};|#\d{1,7};|#x[0-9a-fA-F]{1,6};)/g

/**
 * Escape bare ampersands ("Smith & Wesson", "R&D", URLs with "&" between
 * query parameters), the most common flaw of exported XML. Left alone, saxes
 * reads everything after such an "&" as an entity name and the rest of the
 * file is lost. An "&" close to the end of a chunk may start an entity cut by
 * the chunk boundary, so that tail waits for the next chunk. Once the
 * document uses CDATA sections (where "&" is legal) the repair stops.
 */
async function* repairBareAmpersands(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = ''
  let repairing = true
  for await (const chunk of chunks) {
    let text = carry.length > 0 ? carry + chunk : chunk
    carry = ''
    if (!repairing || !text.includes('&')) {
      yield text
      continue
    }
    if (text.includes('<![CDATA[')) {
      repairing = false
      yield text
      continue
    }
    const last = text.lastIndexOf('&')
    if (last > text.length - 48 && text.indexOf(';', last) < 0) {
      carry = text.slice(last)
      text = text.slice(0, last)
    }
    yield text.replace(BARE_AMPERSAND, '&amp;')
  }
  if (carry.length > 0) yield repairing ? carry.replace(BARE_AMPERSAND, '&amp;') : carry
}

const NO_ATTRIBUTES: Record<string, string> = Object.freeze({}) as Record<string, string>

interface Capture {
  root: XmlElement
  stack: XmlElement[]
  line: number
  errors: string[]
  /** saxes depth (root element = 1) of the captured element */
  depth: number
  /** characters of text and attribute values gathered */
  chars: number
}

/**
 * Streams the captured elements of an XML document given as text chunks.
 * Throws only when the text is not XML or its root is refused by `checkRoot`.
 */
export async function* streamXmlElements(
  chunks: AsyncIterable<string>,
  options: XmlStreamOptions
): AsyncGenerator<XmlStreamItem> {
  const namespaced = options.canonicalPrefixes !== undefined
  // The canonical prefixes are also declared up front: when saxes recovers from
  // a mismatched tag by closing the root early, the root's own declarations go
  // with it, and every later prefixed element would be an error.
  const additionalNamespaces: Record<string, string> = {}
  for (const [uri, prefix] of Object.entries(options.canonicalPrefixes ?? {})) {
    if (prefix && !(prefix in additionalNamespaces)) additionalNamespaces[prefix] = uri
  }
  const saxesOptions: SaxesOptions = namespaced ? { xmlns: true, additionalNamespaces } : {}
  const parser = new SaxesParser(saxesOptions)
  Object.assign(parser.ENTITIES, HTML_ENTITIES)
  const canonical = options.canonicalPrefixes ?? {}
  const limits = options.limits ?? DEFAULT_IMPORT_LIMITS
  /** parser.position at the last event: what saxes read since then it still holds (a text, attributes, a comment) */
  let mark = 0
  /** the line of the last tag: where what saxes holds outside records starts */
  let markLine = 1

  let ready: XmlStreamItem[] = []
  let capture: Capture | undefined
  /** set between `opentagstart` and `opentag` of an element that will be captured */
  let openingCapture: { line: number; errors: string[]; name: string } | undefined
  /** saxes depth of currently open elements */
  let depth = 0
  let rootSeen = false
  /** the root was closed early by saxes' error recovery: later top-level elements count as its children */
  let rootLost = false
  let lastClosed: { item: Extract<XmlStreamItem, { kind: 'element' }>; position: number } | undefined
  let outsideError: Extract<XmlStreamItem, { kind: 'error' }> | undefined
  let fatal: Error | undefined

  const nameOf = (tag: SaxesTag): string => {
    if (!namespaced) return tag.name
    const ns = tag as SaxesTagNS
    const prefix = canonical[ns.uri]
    return prefix === undefined ? ns.name : prefix === '' ? ns.local : `${prefix}:${ns.local}`
  }
  const attributesOf = (tag: SaxesTag): Record<string, string> => {
    if (!namespaced) {
      // saxes builds attributes with Object.create(null), a slow dictionary-mode
      // object in V8; most elements have none, so share one empty object
      const source = (tag as SaxesTagPlain).attributes
      let result: Record<string, string> = NO_ATTRIBUTES
      for (const name in source) {
        if (result === NO_ATTRIBUTES) result = {}
        result[name] = source[name]
      }
      return result
    }
    const result: Record<string, string> = {}
    for (const attribute of Object.values((tag as SaxesTagNS).attributes)) {
      if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue
      const prefix = attribute.uri ? canonical[attribute.uri] : undefined
      result[prefix ? `${prefix}:${attribute.local}` : attribute.name] = attribute.value
    }
    return result
  }
  const logicalDepth = (): number => depth - 1 + (rootLost ? 1 : 0)

  /** Refuses the document once the open record, or the text saxes holds outside records, passes the limit. */
  const checkSize = (gathered: number, position = parser.position): void => {
    const pending = position - mark
    const open = capture ? { name: capture.root.name, line: capture.line } : openingCapture
    if (open && (capture?.chars ?? 0) + gathered + pending > limits.maxRecordChars) {
      throw ImportLimitError.recordChars(limits, `the <${open.name}> element starting on line ${open.line}`)
    }
    if (!open && gathered + pending > limits.maxRecordChars) {
      throw ImportLimitError.recordChars(limits, `text outside any record, from line ${markLine}`)
    }
  }
  const attributeChars = (attributes: Record<string, string>): number => {
    let chars = 0
    for (const name in attributes) chars += attributes[name].length
    return chars
  }

  const flushOutsideError = (): void => {
    if (outsideError) {
      ready.push(outsideError)
      outsideError = undefined
    }
  }

  parser.on('opentagstart', (tag) => {
    mark = parser.position
    markLine = parser.line
    if (!capture && rootSeen && options.capture(nameOf(tag as SaxesTag), logicalDepth() + 1)) {
      openingCapture = { line: parser.line, errors: [], name: nameOf(tag as SaxesTag) }
    } else if (capture && options.unnestable?.has(capture.root.name) && nameOf(tag as SaxesTag) === capture.root.name) {
      openingCapture = { line: parser.line, errors: [], name: capture.root.name }
    }
  })

  parser.on('opentag', (tag) => {
    const name = nameOf(tag as SaxesTag)
    mark = parser.position
    markLine = parser.line
    depth++
    if (!rootSeen) {
      rootSeen = true
      try {
        options.checkRoot(name)
      } catch (error) {
        fatal = error as Error
      }
      return
    }
    const element: XmlElement = { name, attributes: attributesOf(tag as SaxesTag), children: [] }
    if (capture && openingCapture && name === capture.root.name && options.unnestable?.has(name)) {
      // a record opening inside an unclosed one of the same kind: the open one was truncated
      const truncated = capture
      truncated.errors.push(`element <${name}> starting on line ${truncated.line} is not closed`)
      ready.push({ kind: 'element', element: truncated.root, line: truncated.line, errors: truncated.errors })
      capture = undefined
    }
    if (capture) {
      const parent = capture.stack[capture.stack.length - 1]
      parent.children.push(element)
      capture.stack.push(element)
      if (element.attributes !== NO_ATTRIBUTES) capture.chars += attributeChars(element.attributes)
      checkSize(0)
      return
    }
    if (openingCapture) {
      flushOutsideError()
      capture = { root: element, stack: [element], line: openingCapture.line, errors: openingCapture.errors, depth, chars: attributeChars(element.attributes) }
      openingCapture = undefined
      checkSize(0)
    }
  })

  parser.on('closetag', () => {
    mark = parser.position
    markLine = parser.line
    if (capture) {
      capture.stack.pop()
      if (capture.stack.length === 0) {
        const item = { kind: 'element' as const, element: capture.root, line: capture.line, errors: capture.errors }
        ready.push(item)
        lastClosed = { item, position: parser.position }
        capture = undefined
      }
    }
    depth--
    if (depth === 0 && rootSeen) rootLost = true
  })

  const onText = (text: string): void => {
    mark = parser.position
    checkSize(text.length)
    if (capture) {
      capture.chars += text.length
      capture.stack[capture.stack.length - 1].children.push(text)
    }
  }
  parser.on('text', onText)
  parser.on('cdata', onText)

  parser.on('error', (error) => {
    if (!rootSeen) {
      fatal ??= new Error(`not well-formed XML: ${error.message}`)
      return
    }
    // after saxes has closed the root early to recover from an error it calls
    // every later element a second root: a consequence of that first error
    if (rootLost && error.message.endsWith('documents may contain only one root.')) return
    if (openingCapture) openingCapture.errors.push(error.message)
    else if (capture) capture.errors.push(error.message)
    else if (lastClosed && lastClosed.position === parser.position) lastClosed.item.errors.push(error.message)
    // once saxes has closed the root to recover from an error, the closing tags
    // and text it meets between records are consequences of that first error
    else if (rootLost) return
    else if (outsideError) outsideError.message += `; ${error.message}`
    else outsideError = { kind: 'error', message: `malformed XML between records: ${error.message}`, line: parser.line }
  })

  parser.on('end', () => {
    if (capture) {
      capture.errors.push(`element <${capture.root.name}> starting on line ${capture.line} is not closed (unexpected end of file)`)
      ready.push({ kind: 'element', element: capture.root, line: capture.line, errors: capture.errors })
      capture = undefined
    }
    flushOutsideError()
  })

  const drain = function* (): Generator<XmlStreamItem> {
    if (fatal) throw fatal
    const items = ready
    ready = []
    lastClosed = undefined
    yield* items
  }

  // saxes' position is not up to date between two writes
  let written = 0
  for await (const chunk of repairBareAmpersands(chunks)) {
    parser.write(chunk)
    written += chunk.length
    checkSize(0, written)
    yield* drain()
  }
  parser.close()
  if (!rootSeen) throw fatal ?? new Error('not an XML document: no root element')
  yield* drain()
}

// ---------------------------------------------------------------------------
// Reading captured trees

/** First child element named `name`. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined
  for (const node of element.children) {
    if (typeof node !== 'string' && node.name === name) return node
  }
  return undefined
}

/** Child elements named `name` (all child elements when `name` is omitted). */
export function childrenNamed(element: XmlElement | undefined, name?: string): XmlElement[] {
  if (!element) return []
  const result: XmlElement[] = []
  for (const node of element.children) {
    if (typeof node !== 'string' && (name === undefined || node.name === name)) result.push(node)
  }
  return result
}

/** The element reached by following child names ("Article/Journal/Title"). */
export function descend(element: XmlElement | undefined, path: string): XmlElement | undefined {
  let current = element
  for (const name of path.split('/')) {
    current = child(current, name)
    if (!current) return undefined
  }
  return current
}

/** All the text inside an element, markup removed, as written. */
export function rawText(node: XmlNode | undefined): string {
  if (node === undefined) return ''
  if (typeof node === 'string') return node
  if (node.children.length === 1 && typeof node.children[0] === 'string') return node.children[0]
  let text = ''
  for (const part of node.children) text += rawText(part)
  return text
}

/** Collapse runs of white space to one space and trim. */
export function collapseSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** The element's text with inline markup flattened and white space collapsed; undefined when empty. */
export function textOf(node: XmlNode | undefined): string | undefined {
  const text = collapseSpace(rawText(node))
  return text.length > 0 ? text : undefined
}

/** Text of the child reached by `path`, or undefined. */
export function textAt(element: XmlElement | undefined, path: string): string | undefined {
  return textOf(descend(element, path))
}

/**
 * A JSON form of an element for `ReferenceRecord.original`: attributes as
 * "@name", child elements by name (an array when repeated), text-only
 * elements as strings, and mixed content (text with inline markup such as
 * <i> or <sup>) kept as its inner XML so that nothing is lost.
 * Written with plain loops because it runs for every element of every record.
 */
export function elementToJson(element: XmlElement): unknown {
  const children = element.children
  const attributes = element.attributes
  const hasAttributes = attributes !== NO_ATTRIBUTES && Object.keys(attributes).length > 0
  let hasElements = false
  let hasText = false
  for (let i = 0; i < children.length; i++) {
    const node = children[i]
    if (typeof node === 'string') {
      if (!hasText && !isBlank(node)) hasText = true
    } else hasElements = true
  }
  if (!hasElements || hasText) {
    const text = !hasElements
      ? (children.length === 1 ? children[0] as string : children.join(''))
      : children.map(serialize).join('')
    if (!hasAttributes) return text
    const result = prefixedAttributes(attributes)
    if (text) result[hasElements ? '#xml' : '#text'] = text
    return result
  }
  const result = hasAttributes ? prefixedAttributes(attributes) : {}
  for (let i = 0; i < children.length; i++) {
    const node = children[i]
    if (typeof node === 'string') continue
    const value = elementToJson(node)
    const existing = result[node.name]
    // element values are strings or objects, never arrays, so an array here is a list of repeated children
    if (existing === undefined) result[node.name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else result[node.name] = [existing, value]
  }
  return result
}

const prefixedNames = new Map<string, string>()
function prefixedAttributes(attributes: Record<string, string>): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const name in attributes) {
    let key = prefixedNames.get(name)
    if (key === undefined) {
      key = '@' + name
      if (prefixedNames.size < 1000) prefixedNames.set(name, key)
    }
    result[key] = attributes[name]
  }
  return result
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code !== 32 && code !== 10 && code !== 9 && code !== 13) return false
  }
  return true
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }
function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => XML_ESCAPES[c])
}

/** XML text of a node (used to keep mixed content verbatim). */
export function serialize(node: XmlNode): string {
  if (typeof node === 'string') return escapeXml(node)
  const attributes = Object.entries(node.attributes).map(([name, value]) => ` ${name}="${escapeXml(value)}"`).join('')
  if (node.children.length === 0) return `<${node.name}${attributes}/>`
  return `<${node.name}${attributes}>${node.children.map(serialize).join('')}</${node.name}>`
}
