import t from 'tap'
import {
  extractSerialNumbers, formatPages, identifiersInUrl, labelFromNotes, lineBatches, parsePersonName, splitLines, stripHtml,
  textChunks
} from '../../src/references/text.ts'

async function linesOf(text: string, size: number): Promise<string[]> {
  const lines: string[] = []
  for await (const batch of lineBatches(textChunks(text, size))) lines.push(...batch)
  return lines
}

t.test('lines split on LF, CRLF and lone CR, also across chunk boundaries', async (t) => {
  const text = 'one\r\ntwo\nthree\rfour\r\n\r\nsix'
  const expected = ['one', 'two', 'three', 'four', '', 'six']
  for (const size of [1, 2, 3, 4, 5, 7, 100]) t.same(await linesOf(text, size), expected, `${size}-character chunks`)
  t.same(await linesOf('a\r\nb\r\n', 1), ['a', 'b'], 'no empty line after the final break')
  t.same(await linesOf('a\r', 1), ['a'], 'a final lone CR')
  t.same(await linesOf('x\ny\r\nz\n', 3), ['x', 'y', 'z'], 'mixed LF and CRLF')
  t.same(splitLines('a\r\nb\rc\n'), ['a', 'b', 'c'])
})

t.test('person names in the orders exports use', async (t) => {
  t.same(parsePersonName('van de Schoot, Rens'), { family: 'van de Schoot', given: 'Rens' })
  t.same(parsePersonName('Adler D.G.'), { family: 'Adler', given: 'D.G.' })
  t.same(parsePersonName('Smith JA'), { family: 'Smith', given: 'JA' })
  t.same(parsePersonName('Anna van der Berg'), { family: 'van der Berg', given: 'Anna' })
  t.same(parsePersonName('Jean-Luc Picard'), { family: 'Picard', given: 'Jean-Luc' })
  t.same(parsePersonName('Plato'), { family: 'Plato' })
  t.same(parsePersonName('World Health Organization'), { family: 'World Health Organization', literal: true })
  t.same(parsePersonName('Cochrane Collaboration, London'), { family: 'Cochrane Collaboration, London', literal: true })
  t.equal(parsePersonName('  '), undefined)
})

t.test('pages, serial numbers, HTML notes, labels and identifiers in links', async (t) => {
  t.equal(formatPages('12', '34'), '12-34')
  t.equal(formatPages('349-69'), '349-69')
  t.equal(formatPages('12–34'), '12-34')
  t.equal(formatPages('e123', 'e123'), 'e123')
  t.equal(formatPages('No', 'Specified'), undefined)
  t.same(extractSerialNumbers(['03064530 (ISSN)', '0012186x', '2000-8066, 2000-8066', '978-3-16-148410-0']), {
    issn: ['0306-4530', '0012-186X', '2000-8066'], isbn: ['9783161484100']
  })
  t.equal(stripHtml('<p>XHTML</p>tags &amp; <b>content</b> <p>intact.</p>'), 'XHTML\ntags & content intact.')
  t.equal(labelFromNotes(['something', 'AnalyLit decision: maybe']), 'maybe')
  t.equal(labelFromNotes(['ASReview_irrelevant']), 'exclude')
  t.equal(labelFromNotes(['ASReview_not_seen']), undefined)
  t.equal(labelFromNotes([`${'x'.repeat(10000)} ASReview_relevant`]), 'include', 'a label at the end of a long note')
  t.same(identifiersInUrl('https://pubmed.ncbi.nlm.nih.gov/22752652/'), { pmid: '22752652' })
  t.same(identifiersInUrl('http://europepmc.org/articles/PMC3553406'), { pmcid: 'PMC3553406' })
  t.same(identifiersInUrl('https://www.ncbi.nlm.nih.gov/pmc/articles/PMC6267240/'), { pmcid: 'PMC6267240' })
})
