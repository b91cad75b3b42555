import t from 'tap'
import type { ExportItem } from '../../src/export/item.ts'
import { emptyRecord } from '../../src/references/model.ts'
import { formatBibliography, type BibliographyStyle } from '../../src/reporting/bibliography.ts'
import { formatBibliographyInThread } from '../../src/reporting/reporting-thread.ts'
import { drawPng, svgToPng } from '../../src/reporting/render.ts'
import { closeModuleThreads } from '../../src/threads/module-thread.ts'

t.teardown(closeModuleThreads)

const items: ExportItem[] = Array.from({ length: 40 }, (_, k) => ({
  record: {
    ...emptyRecord(), type: 'article', title: `Effects of intervention ${k} on depression: a randomised trial`, abstract: 'Not printed.',
    authors: [{ family: `Author${k % 7}`, given: 'Anna M.' }, { family: 'van der Berg', given: 'Jan' }], year: 2000 + (k % 20),
    journal: 'Journal of Trials', volume: String(k), issue: '2', pages: `${k}-${k + 9}`, doi: `10.5555/trial.${k}`, original: { TI: ['as read'] }
  }
}))

t.test('the thread formats as this thread would', async (t) => {
  for (const style of ['harvard', 'vancouver'] as BibliographyStyle[]) {
    for (const format of ['text', 'html'] as const) {
      t.same(await formatBibliographyInThread(items, { style, format }), formatBibliography(items, { style, format }), `${style}, ${format}`)
    }
  }
  t.same(await formatBibliographyInThread([], { style: 'ieee', format: 'text' }), { entries: [], body: '' }, 'nothing to format')
})

/** Which comes first: a callback of the event loop queued now, or the end of `work` (started just before). */
const firstOf = (work: Promise<unknown>) => Promise.race([new Promise((resolve) => setImmediate(() => resolve('event loop'))), work.then(() => 'work')])

t.test('the event loop stays free while the thread works', async (t) => {
  // Work done on this thread would have ended before any callback of the event loop could run.
  const formatting = formatBibliographyInThread(items, { style: 'ieee', format: 'text' })
  t.equal(await firstOf(formatting), 'event loop', 'a bibliography')
  t.equal((await formatting).entries.length, items.length)
  const drawing = svgToPng(FIGURE)
  t.equal(await firstOf(drawing), 'event loop', 'a figure')
  await drawing
})

const FIGURE = '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><rect x="10" y="10" width="200" height="80" fill="none" stroke="black"/>' +
  '<text x="20" y="50" font-family="sans-serif" font-size="14">Records identified (n = 1234)</text></svg>'

t.test('the thread draws a figure as this thread would', async (t) => {
  const png = await svgToPng(FIGURE)
  t.ok(Buffer.isBuffer(png))
  t.same(png.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'a PNG')
  t.equal(png.readUInt32BE(16), 800, 'twice as wide as the figure')
  t.ok(png.equals(await drawPng(FIGURE, 2)), 'the same bytes')
  await t.rejects(svgToPng('<svg'), /drawing the figure failed/, 'a figure that cannot be drawn: an error that says so')
})

t.test('a failure in the thread is an error that says so, and the thread goes on', async (t) => {
  await t.rejects(formatBibliographyInThread(items, { style: 'no-such-style' as BibliographyStyle, format: 'text' }), /formatting the bibliography failed/)
  t.equal((await formatBibliographyInThread(items.slice(0, 2), { style: 'ieee', format: 'text' })).entries.length, 2)
})
