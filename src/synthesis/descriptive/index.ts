/**
 * Descriptive statistics and the keyword co-occurrence graph of a set of
 * records: plain data in (one entry per record), plain data out.
 */
import { escapeXml } from '../../charts/svg.ts'

export const DIMENSIONS = ['year', 'journal', 'country', 'design', 'keyword', 'database'] as const
export type Dimension = (typeof DIMENSIONS)[number]

export interface RecordFacts {
  year: number | null
  journal: string | null
  country: string[]
  design: string
  keywords: string[]
  database: string | null
}

export interface Count { value: string, count: number }
export interface DimensionCounts { counts: Count[], missing: number, distinct: number }

/**
 * The comparison key of a keyword: lower case, accents and surrounding
 * punctuation removed, spaces collapsed, the last word in the singular
 * ("Randomized Controlled Trials" and "randomised controlled trial" differ
 * only by spelling, which is kept).
 */
export function normaliseKeyword(keyword: string): string {
  const words = keyword.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ').trim().split(' ').filter(Boolean)
  if (words.length === 0) return ''
  const last = words[words.length - 1]
  if (last.length > 4 && last.endsWith('ies')) words[words.length - 1] = `${last.slice(0, -3)}y`
  else if (last.length > 3 && last.endsWith('s') && !/(ss|us|is|ys)$/.test(last)) words[words.length - 1] = last.slice(0, -1)
  return words.join(' ')
}

/** Values of a record, each once: comparison key → the first form the record gives. */
function firstForms(values: string[], keyOf: (value: string) => string): Map<string, string> {
  const out = new Map<string, string>()
  for (const v of values) {
    const key = keyOf(v)
    if (key && !out.has(key)) out.set(key, v.trim())
  }
  return out
}
const recordKeywords = (keywords: string[], normalise: (k: string) => string) => firstForms(keywords, normalise)

/** normaliseKeyword with a memory of the keywords seen, for one counting pass (records repeat keywords). */
function memoised(): (keyword: string) => string {
  const seen = new Map<string, string>()
  return (keyword) => {
    let key = seen.get(keyword)
    if (key === undefined) { key = normaliseKeyword(keyword); seen.set(keyword, key) }
    return key
  }
}

/** The values a record has in a dimension (several for keywords and countries, each counted once). */
function valuesOf(facts: RecordFacts, dimension: Dimension, normalise: (k: string) => string): Array<[key: string, label: string]> {
  switch (dimension) {
    case 'year': return facts.year === null ? [] : [[String(facts.year), String(facts.year)]]
    case 'journal': return facts.journal ? [[facts.journal.trim().toLowerCase(), facts.journal.trim()]] : []
    case 'design': return [[facts.design, facts.design]]
    case 'database': return facts.database ? [[facts.database.trim().toLowerCase(), facts.database.trim()]] : []
    case 'country': return [...firstForms(facts.country, (c) => c.trim().toLowerCase())]
    case 'keyword': return [...recordKeywords(facts.keywords, normalise).entries()]
  }
}

/** The label most records use for a key (ties: the first in alphabetical order). */
class Labels {
  private forms = new Map<string, Map<string, number>>()
  add(key: string, label: string): void {
    const forms = this.forms.get(key) ?? new Map<string, number>()
    forms.set(label, (forms.get(label) ?? 0) + 1)
    this.forms.set(key, forms)
  }

  get(key: string): string {
    return [...this.forms.get(key) ?? []].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? key
  }
}

const order = (dimension: Dimension) => (a: Count, b: Count) =>
  dimension === 'year' ? Number(a.value) - Number(b.value) : b.count - a.count || a.value.localeCompare(b.value)

/** Records per value of a dimension (years in order, the rest most frequent first), at most `limit` values. */
export function countBy(records: RecordFacts[], dimension: Dimension, limit = Infinity): DimensionCounts {
  const counts = new Map<string, number>()
  const labels = new Labels()
  let missing = 0
  const normalise = memoised()
  for (const r of records) {
    const values = valuesOf(r, dimension, normalise)
    if (values.length === 0) missing++
    for (const [key, label] of values) { counts.set(key, (counts.get(key) ?? 0) + 1); labels.add(key, label) }
  }
  const all = [...counts].map(([key, count]) => ({ value: labels.get(key), count })).sort(order(dimension))
  return { counts: all.slice(0, limit), missing, distinct: counts.size }
}

/** Records per pair of values of two dimensions (most frequent pairs first), at most `limit` pairs. */
export function crossTabulate(records: RecordFacts[], by: Dimension, by2: Dimension, limit = Infinity): Array<{ value: string, value2: string, count: number }> {
  const counts = new Map<string, { key: string, key2: string, count: number }>()
  const labels = new Labels(); const labels2 = new Labels()
  const normalise = memoised()
  for (const r of records) {
    for (const [key, label] of valuesOf(r, by, normalise)) {
      labels.add(key, label)
      for (const [key2, label2] of valuesOf(r, by2, normalise)) {
        labels2.add(key2, label2)
        const pair = JSON.stringify([key, key2])
        const cell = counts.get(pair) ?? { key, key2, count: 0 }
        cell.count++
        counts.set(pair, cell)
      }
    }
  }
  return [...counts.values()].map((c) => ({ value: labels.get(c.key), value2: labels2.get(c.key2), count: c.count }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value) || a.value2.localeCompare(b.value2)).slice(0, limit)
}

export const CONCEPT_KINDS = ['keyword', 'extraction-value', 'llm-concept'] as const
export type ConceptKind = (typeof CONCEPT_KINDS)[number]
/** One record's terms per kind (a plain list: keywords). */
export type ConceptTerms = string[] | Partial<Record<ConceptKind, string[]>>

export interface ConceptGraph {
  nodes: Array<{ id: string, label: string, count: number, kind: ConceptKind }>
  edges: Array<{ source: string, target: string, count: number }>
}

/**
 * What a node's id starts with: nothing for a keyword (its comparison key), "x:" for an extraction value,
 * "llm:" for an LLM concept, so that one term of two kinds makes two nodes (comparison keys hold no colon).
 */
const ID_PREFIX: Record<ConceptKind, string> = { keyword: '', 'extraction-value': 'x:', 'llm-concept': 'llm:' }
const kindOf = (id: string): ConceptKind => CONCEPT_KINDS.find((k) => k !== 'keyword' && id.startsWith(ID_PREFIX[k])) ?? 'keyword'

/**
 * The categorical values of an extraction as terms "Field: value": single and multiple choices,
 * yes/no fields; "not reported" and empty fields give none.
 */
export function categoricalTerms(fields: Array<{ key: string; label: string; type: string }>, values: Record<string, { value?: unknown; notReported?: boolean } | undefined>): string[] {
  const terms: string[] = []
  for (const f of fields) {
    const entry = values[f.key]
    if (!entry || entry.notReported) continue
    const v = entry.value
    if (f.type === 'boolean' && typeof v === 'boolean') terms.push(`${f.label}: ${v ? 'yes' : 'no'}`)
    else if (f.type === 'single_choice' && typeof v === 'string' && v.trim()) terms.push(`${f.label}: ${v.trim()}`)
    else if (f.type === 'multiple_choice' && Array.isArray(v)) for (const c of v) if (typeof c === 'string' && c.trim()) terms.push(`${f.label}: ${c.trim()}`)
  }
  return terms
}

/**
 * Terms (keywords, categorical extraction values, LLM concepts) as nodes (records that carry them),
 * co-occurrence in a record as edges (records that carry both): nodes and
 * edges below `minCount` are left out, and only the `maxNodes` most frequent
 * terms are kept.
 */
export function conceptGraph(termLists: ConceptTerms[], options: { minCount?: number, maxNodes?: number } = {}): ConceptGraph {
  const minCount = options.minCount ?? 1
  const normalise = memoised()
  const records = termLists.map((terms) => {
    if (Array.isArray(terms)) return recordKeywords(terms, normalise)
    const ids = recordKeywords(terms.keyword ?? [], normalise)
    for (const kind of CONCEPT_KINDS) {
      if (kind === 'keyword') continue
      for (const [key, label] of recordKeywords(terms[kind] ?? [], normalise)) ids.set(`${ID_PREFIX[kind]}${key}`, label)
    }
    return ids
  })
  const counts = new Map<string, number>()
  const labels = new Labels()
  for (const r of records) for (const [key, label] of r) { counts.set(key, (counts.get(key) ?? 0) + 1); labels.add(key, label) }
  const nodes = [...counts].filter(([, count]) => count >= minCount).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, options.maxNodes ?? Infinity).map(([id, count]) => ({ id, label: labels.get(id), count, kind: kindOf(id) }))
  const kept = new Set(nodes.map((n) => n.id))
  const pairs = new Map<string, number>()
  for (const r of records) {
    const keys = [...r.keys()].filter((k) => kept.has(k)).sort()
    for (let i = 0; i < keys.length; i++) for (let j = i + 1; j < keys.length; j++) {
      const pair = `${keys[i]}\u0000${keys[j]}`
      pairs.set(pair, (pairs.get(pair) ?? 0) + 1)
    }
  }
  const edges = [...pairs].filter(([, count]) => count >= minCount).map(([pair, count]) => {
    const [source, target] = pair.split('\u0000')
    return { source, target, count }
  }).sort((a, b) => b.count - a.count || a.source.localeCompare(b.source) || a.target.localeCompare(b.target))
  return { nodes, edges }
}

// Escaped, without the characters XML 1.0 does not allow even escaped.
// eslint-disable-next-line no-control-regex -- removing them is the point
const xml = (text: string) => escapeXml(text).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')

/** The graph as GraphML (undirected; node label, count and kind, edge weight). */
export function toGraphml(graph: ConceptGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]))
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    '  <key id="label" for="node" attr.name="label" attr.type="string"/>',
    '  <key id="count" for="node" attr.name="count" attr.type="int"/>',
    '  <key id="kind" for="node" attr.name="kind" attr.type="string"/>',
    '  <key id="weight" for="edge" attr.name="weight" attr.type="int"/>',
    '  <graph id="concepts" edgedefault="undirected">',
    ...graph.nodes.map((n) => `    <node id="${ids.get(n.id)}"><data key="label">${xml(n.label)}</data><data key="count">${n.count}</data><data key="kind">${n.kind}</data></node>`),
    ...graph.edges.map((e, i) => `    <edge id="e${i}" source="${ids.get(e.source)}" target="${ids.get(e.target)}"><data key="weight">${e.count}</data></edge>`),
    '  </graph>',
    '</graphml>',
    ''
  ].join('\n')
}
