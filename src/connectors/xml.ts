/**
 * A whole-document XML reader for API answers (arXiv Atom), built on saxes:
 * answers are a few MB at most, so a tree is simpler than streaming. The tree
 * has the importers' element shape, so their helpers (`textAt`,
 * `elementToJson`… in references/formats/xml-stream.ts) read it, and records'
 * `original` gets the same JSON form as the XML importers give.
 */
import { SaxesParser } from 'saxes'
import type { XmlElement } from '../references/formats/xml-stream.ts'

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
