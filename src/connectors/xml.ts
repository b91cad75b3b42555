/**
 * A whole-document XML reader for API answers (efetch, arXiv Atom), built on
 * saxes: answers are a few MB at most, so a tree is simpler than streaming.
 * `elementToJson` gives records' `original` the same JSON shape the PubMed XML
 * importer uses: "@attr" attributes, repeated children as arrays, text-only
 * elements as strings and mixed content kept as inner XML under "#xml".
 */
import { SaxesParser } from 'saxes'

export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlNode[]
}

export type XmlNode = XmlElement | string

/** Parses a document; throws with the parser's message on malformed XML. */
export function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: false, position: true })
  const root: XmlElement = { name: '#document', attributes: {}, children: [] }
  const stack: XmlElement[] = [root]
  let failure: Error | undefined
  parser.on('error', (error) => {
    failure ??= error
  })
  parser.on('opentag', (tag) => {
    const element: XmlElement = { name: tag.name, attributes: { ...(tag.attributes as Record<string, string>) }, children: [] }
    stack[stack.length - 1].children.push(element)
    stack.push(element)
  })
  parser.on('closetag', () => {
    stack.pop()
  })
  const onText = (text: string) => {
    if (stack.length > 1) stack[stack.length - 1].children.push(text)
  }
  parser.on('text', onText)
  parser.on('cdata', onText)
  parser.write(text).close()
  if (failure) throw failure
  const top = root.children.find((node): node is XmlElement => typeof node !== 'string')
  if (!top) throw new Error('no root element')
  return top
}

export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!element) return undefined
  for (const node of element.children) if (typeof node !== 'string' && node.name === name) return node
  return undefined
}

export function childrenNamed(element: XmlElement | undefined, name?: string): XmlElement[] {
  if (!element) return []
  return element.children.filter((node): node is XmlElement => typeof node !== 'string' && (name === undefined || node.name === name))
}

export function descend(element: XmlElement | undefined, path: string): XmlElement | undefined {
  let current = element
  for (const name of path.split('/')) {
    current = child(current, name)
    if (!current) return undefined
  }
  return current
}

function rawText(node: XmlNode | undefined): string {
  if (node === undefined) return ''
  if (typeof node === 'string') return node
  return node.children.map(rawText).join('')
}

/** Text content with markup flattened and spaces collapsed; undefined when empty. */
export function textOf(node: XmlNode | undefined): string | undefined {
  const text = rawText(node).replace(/\s+/g, ' ').trim()
  return text.length > 0 ? text : undefined
}

export function textAt(element: XmlElement | undefined, path: string): string | undefined {
  return textOf(descend(element, path))
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }
const escapeXml = (text: string) => text.replace(/[&<>"]/g, (c) => XML_ESCAPES[c])

export function serialize(node: XmlNode): string {
  if (typeof node === 'string') return escapeXml(node)
  const attributes = Object.entries(node.attributes).map(([name, value]) => ` ${name}="${escapeXml(value)}"`).join('')
  if (node.children.length === 0) return `<${node.name}${attributes}/>`
  return `<${node.name}${attributes}>${node.children.map(serialize).join('')}</${node.name}>`
}

export function elementToJson(element: XmlElement): unknown {
  const attributes = Object.entries(element.attributes)
  const elements = element.children.filter((node): node is XmlElement => typeof node !== 'string')
  const hasText = element.children.some((node) => typeof node === 'string' && node.trim() !== '')
  const withAttributes = (): Record<string, unknown> => Object.fromEntries(attributes.map(([k, v]) => [`@${k}`, v]))
  if (elements.length === 0 || hasText) {
    const text = elements.length === 0 ? element.children.join('') : element.children.map(serialize).join('')
    if (attributes.length === 0) return text
    const result = withAttributes()
    if (text) result[elements.length > 0 ? '#xml' : '#text'] = text
    return result
  }
  const result = withAttributes()
  for (const node of elements) {
    const value = elementToJson(node)
    const existing = result[node.name]
    if (existing === undefined) result[node.name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else result[node.name] = [existing, value]
  }
  return result
}
