import { SaxesParser } from 'saxes'
import t from 'tap'
import { conceptGraph, countBy, toGraphml, type RecordFacts } from '../../src/synthesis/descriptive/index.ts'

t.test('GraphML is well-formed XML whatever the keywords hold', async (t) => {
  const graph = conceptGraph([['a & b', 'C<d>', 'x\u0001y', ']]> end'], ['a & b', "q'\"", 'C<d>']])
  const doc = toGraphml(graph)
  const parser = new SaxesParser({ xmlns: true })
  const labels: string[] = []
  let inLabel = false
  parser.on('opentag', (tag) => { inLabel = tag.local === 'data' && tag.attributes.key?.value === 'label' })
  parser.on('text', (text) => { if (inLabel) labels.push(text) })
  parser.on('closetag', () => { inLabel = false })
  t.doesNotThrow(() => parser.write(doc).close(), 'parses')
  t.same(labels.sort(), [']]> end', 'C<d>', 'a & b', "q'\"", 'xy'].sort(), 'labels come back as given (control characters dropped)')
  t.equal((doc.match(/<edge /g) ?? []).length, 8, 'one edge per pair of keywords in a record')
})

t.test('a record counts once per value, and records without a value are counted apart', async (t) => {
  const facts = (keywords: string[], country: string[] = []): RecordFacts => ({ year: null, journal: null, country, design: 'article', keywords, database: null })
  const counts = countBy([facts(['Chatbot', 'chatbots', 'CHATBOT']), facts([]), facts(['chatbot'])], 'keyword')
  t.same(counts, { counts: [{ value: 'chatbot', count: 2 }], missing: 1, distinct: 1 })
  t.same(countBy([facts([], ['France', 'france']), facts([], ['France']), facts([], ['Canada'])], 'country').counts, [{ value: 'France', count: 2 }, { value: 'Canada', count: 1 }])
})

t.test('terms of several kinds: one term of two kinds makes two nodes, and they co-occur', async (t) => {
  const graph = conceptGraph([
    { keyword: ['Chatbots'], 'llm-concept': ['chatbot', 'Adherence'], 'extraction-value': ['Design: RCT'] },
    { keyword: ['chatbot'], 'llm-concept': ['Adherence'] }
  ])
  t.same(graph.nodes, [
    { id: 'chatbot', label: 'chatbot', count: 2, kind: 'keyword' }, { id: 'llm:adherence', label: 'Adherence', count: 2, kind: 'llm-concept' },
    { id: 'llm:chatbot', label: 'chatbot', count: 1, kind: 'llm-concept' }, { id: 'x:design rct', label: 'Design: RCT', count: 1, kind: 'extraction-value' }
  ])
  t.same(graph.edges[0], { source: 'chatbot', target: 'llm:adherence', count: 2 })
  t.match(toGraphml(graph), /<data key="label">Design: RCT<\/data><data key="count">1<\/data><data key="kind">extraction-value<\/data>/)
})
