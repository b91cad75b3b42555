import t from 'tap'
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { PDFDocument } from 'pdf-lib'
import { PdfExtractor, extractPdf, type ExtractLimits, type ExtractOutcome, type FullText } from '../../src/fulltext/extract.ts'
import { normaliseText } from '../../src/fulltext/layout.ts'
import { detectOcrTools } from '../../src/fulltext/ocr.ts'
import { articlePdf, hasTool, ligaturePdf, scannedPdf } from '../support/pdfs.ts'
import { needs } from '../support/skips.ts'

const run = promisify(execFile)
const LIMITS: ExtractLimits = { timeoutMs: 30_000, maxPages: 500, maxBytes: 50 * 1024 * 1024, memoryMb: 256, ocr: 'eng' }

const extractor = new PdfExtractor(LIMITS)
t.teardown(() => extractor.close())

function text(outcome: ExtractOutcome): FullText {
  if (!outcome.ok) throw new Error(`expected a text, got ${outcome.error.code}: ${outcome.error.message}`)
  return outcome.text
}
const all = (full: FullText) => full.pages.map((p) => p.text).join('\n')

const WORDS = 'alliance chatbot patients therapy outcome digital engagement measure scale trial cohort adults'.split(' ')
/** Distinct prose per page and column, so no body line repeats like a header. */
const prose = (page: number, column: number, n = 8) =>
  Array.from({ length: n }, (_, i) => `${WORDS[(page * 3 + column * 5 + i) % WORDS.length]} line ${page}.${column}.${i} ${WORDS[(i * 7 + page) % WORDS.length]}`)

t.test('two columns are read column by column, after a full-width title', async (t) => {
  const pdf = await articlePdf({ pages: 1, columns: 2, title: 'Chatbots and the digital therapeutic alliance: a scoping review', body: (p, c) => prose(p, c) })
  const body = all(text(await extractor.extract(pdf)))
  const order = [...body.matchAll(/line (\d\.\d\.\d)/g)].map((m) => m[1])
  t.same(order, [...prose(1, 0), ...prose(1, 1)].map((l) => /line (\S+)/.exec(l)![1]), 'left column, then right column')
  t.ok(body.startsWith('Chatbots and the digital therapeutic alliance'), 'the title first')
})

t.test('words hyphenated across lines are joined; compounds written with a hyphen elsewhere keep it', async (t) => {
  const pdf = await articlePdf({
    pages: 1,
    body: () => ['Participants received the treat-', 'ment for eight weeks and used a self-', 'report questionnaire; the self-report scale', 'was validated. A mea-', 'sure of alliance followed.']
  })
  const body = all(text(await extractor.extract(pdf)))
  t.match(body, /received the treatment\nfor eight weeks/)
  t.match(body, /used a self-report\nquestionnaire/)
  t.match(body, /A measure\nof alliance/)
  t.notMatch(body, /treat-|mea-/)
})

t.test('running headers, footers and page numbers are removed from every page', async (t) => {
  const pages = 5
  const pdf = await articlePdf({ pages, header: 'Journal of Digital Health 12 (2024) 101-120', pageNumbers: true, body: (p) => prose(p, 0) })
  const full = text(await extractor.extract(pdf))
  t.equal(full.pages.length, pages)
  t.same(full.pages.map((p) => p.number), [1, 2, 3, 4, 5])
  for (const page of full.pages) {
    t.notMatch(page.text, /Journal of Digital Health|Page \d of/, `page ${page.number}: no header or footer`)
    t.notMatch(page.text, /^\d+$/m, `page ${page.number}: no bare page number`)
    t.same(page.text.split('\n'), prose(page.number, 0), `page ${page.number}: every body line kept`)
  }
})

t.test('sections, DOI, PMID and title', async (t) => {
  const pdf = await articlePdf({
    pages: 2,
    title: 'Measuring the working alliance with chatbots',
    info: { subject: 'Digit Health 2024. doi:10.1177/ABC.2024.55.' },
    body: (p) => p === 1
      ? ['Abstract', 'We measured the alliance.', 'PMID: 38012345', '1. Introduction', 'Chatbots are common.', '2. Materials and Methods', 'Adults used an app.']
      : ['3. RESULTS', 'The alliance was high, as in earlier', 'results.', 'Discussion', 'It matters.', 'Conclusions', 'Measure it.', 'References', '1. Smith J. A paper.']
  })
  const full = text(await extractor.extract(pdf))
  t.same(full.sections.map((s) => [s.name, s.page]), [
    ['abstract', 1], ['introduction', 1], ['methods', 1], ['results', 2], ['discussion', 2], ['conclusion', 2], ['references', 2]
  ])
  for (const s of full.sections) {
    const page = full.pages[s.page - 1].text
    t.ok(/^(\d\.\s*)?(Abstract|Introduction|Materials|RESULTS|Discussion|Conclusions|References)/.test(page.slice(s.offset)), `${s.name} offset points at its heading`)
  }
  t.equal(full.metadata.doi, '10.1177/abc.2024.55', 'DOI from the document information, trailing dot removed')
  t.equal(full.metadata.pmid, '38012345')
  t.equal(full.metadata.title, 'Measuring the working alliance with chatbots', 'title from the largest font of page 1')
  t.equal(full.metadata.pageCount, 2)
  t.equal(full.metadata.encrypted, false)
})

t.test('ligatures are expanded; NFKC only where it keeps the meaning', async (t) => {
  const pdf = await ligaturePdf(['The ef\uFB01cacy of \uFB01ve \uFB02exible sessions', 'was con\uFB01rmed.'])
  t.equal(all(text(await extractor.extract(pdf))), 'The efficacy of five flexible sessions\nwas confirmed.', 'ligature glyphs of a PDF font')
  t.equal(normaliseText('e\uFB03cacy of \uFB01ve \uFB02exible \uFB00ects'), 'efficacy of five flexible ffects')
  t.equal(normaliseText('ＡＢＣ１２ in 5\u00A0m² ½'), 'ABC12 in 5 m² ½')
  t.equal(normaliseText('di\x1Berent scienti\x1Cc \x1Cnal \x10quoted\x11, OT1 e\x0Bect \x0C page'), 'different scientific final "quoted", OT1 effect  page',
    'TeX T1 ligature codes always, OT1 codes next to letters, other control characters dropped')
})

t.test('encrypted PDFs', { skip: !process.env.CI && !(await hasTool('qpdf')) ? needs('qpdf', 'apt-get install qpdf') : false }, async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'analylit-enc-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  const plain = path.join(dir, 'plain.pdf')
  await fs.writeFile(plain, await articlePdf({ pages: 1, body: () => ['A confidential protocol.'] }))
  await run('qpdf', ['--encrypt', 'secret', 'owner', '256', '--', plain, path.join(dir, 'user.pdf')])
  await run('qpdf', ['--encrypt', '', 'owner', '256', '--print=none', '--', plain, path.join(dir, 'owner.pdf')])
  const locked = await extractor.extract(path.join(dir, 'user.pdf'))
  t.same(locked, { ok: false, error: { code: 'encrypted', message: 'the PDF is encrypted with a password' } })
  const restricted = text(await extractor.extract(path.join(dir, 'owner.pdf')))
  t.equal(restricted.pages[0].text, 'A confidential protocol.', 'an empty user password opens the file')
  t.equal(restricted.metadata.encrypted, true)
})

t.test('corrupt, garbage, zero-page, empty, oversized and over-long files give a per-file error', async (t) => {
  const good = await articlePdf({ pages: 3, body: (p) => prose(p, 0) })
  const cases: [string, Uint8Array | string, string, RegExp][] = [
    ['truncated', good.slice(0, 400), 'corrupt', /not a readable PDF/],
    ['garbage', new TextEncoder().encode('this is not a PDF at all\n'.repeat(100)), 'corrupt', /not a readable PDF/],
    ['zero pages', await (await PDFDocument.create()).save(), 'empty', /no pages with content/],
    ['empty file', new Uint8Array(0), 'empty', /empty/],
    ['missing file', '/nonexistent/file.pdf', 'failed', /cannot read/]
  ]
  for (const [name, input, code, message] of cases) {
    const outcome = await extractor.extract(input)
    t.equal(outcome.ok ? 'ok' : outcome.error.code, code, name)
    if (!outcome.ok) t.match(outcome.error.message, message, name)
  }
  const small = await extractPdf(good, { ...LIMITS, maxBytes: 1024 })
  t.match(small, { ok: false, error: { code: 'too-large', message: /more than the limit of 1024/ } })
  const short = await extractPdf(good, { ...LIMITS, maxPages: 2 })
  t.match(short, { ok: false, error: { code: 'too-many-pages', message: 'the PDF has 3 pages, more than the limit of 2' } })
  t.equal(text(await extractor.extract(good)).pages.length, 3, 'the extractor still works after the failures')
})

t.test('a time limit stops a long extraction with a timeout error, and the next file still works', async (t) => {
  const long = await articlePdf({ pages: 150, columns: 2, body: (p, c) => prose(p, c, 40) })
  const limited = new PdfExtractor({ ...LIMITS, timeoutMs: 5 })
  t.teardown(() => limited.close())
  const outcome = await limited.extract(long)
  t.same(outcome, { ok: false, error: { code: 'timeout', message: 'extraction took longer than the time limit of 5 ms' } })
  const again = await extractor.extract(await articlePdf({ pages: 1, body: () => ['Still alive.'] }))
  t.equal(text(again).pages[0].text, 'Still alive.')
})

t.test('a worker out of memory gives an error, not a crash', async (t) => {
  // A heap of 4 MB cannot even hold pdf.js: the mechanism, not a particular PDF, is under test.
  const outcome = await extractPdf(await articlePdf({ pages: 20, body: (p) => prose(p, 0, 40) }), { ...LIMITS, memoryMb: 4 })
  t.same(outcome, { ok: false, error: { code: 'out-of-memory', message: 'extraction needed more than the memory limit of 4 MB' } })
})

const OCR_LINES = ['The digital therapeutic alliance', 'was measured in adults using', 'a validated questionnaire']

t.test('image-only pages are read by tesseract', {
  skip: !process.env.CI && !(await detectOcrTools()).available ? needs('tesseract and pdftoppm', 'apt-get install tesseract-ocr poppler-utils') : false
}, async (t) => {
  const scanned = await scannedPdf(OCR_LINES)
  const full = text(await extractor.extract(scanned))
  t.same(full.metadata.ocrPages, [{ page: 1, status: 'done' }])
  t.match(full.pages[0].text.toLowerCase(), /digital therapeutic alliance/)
  t.match(full.pages[0].text.toLowerCase(), /validated questionnaire/)

  const off = text(await extractPdf(scanned, { ...LIMITS, ocr: false }))
  t.same(off.metadata.ocrPages, [{ page: 1, status: 'unavailable', reason: 'OCR is disabled (FULLTEXT_OCR_LANGUAGE=off)' }])
  t.equal(off.pages[0].text, '')
})

t.test('missing OCR tools are reported, not thrown', async (t) => {
  t.same(await detectOcrTools({ PATH: '/nonexistent' }), { available: false, reason: 'tesseract is not installed (Debian package tesseract-ocr)' })
})

t.test('calls on one extractor run one after another, and a timeout fails only its own file', async (t) => {
  const huge = await articlePdf({ pages: 100, columns: 2, body: (p, c) => prose(p, c, 40) })
  const small = await articlePdf({ pages: 1, body: () => ['A small file.'] })
  const [a, b, c] = await Promise.all([extractor.extract(small), extractor.extract(huge, { timeoutMs: 5 }), extractor.extract(small)])
  t.equal(text(a).pages[0].text, 'A small file.')
  t.same(b, { ok: false, error: { code: 'timeout', message: 'extraction took longer than the time limit of 5 ms' } })
  t.equal(text(c).pages[0].text, 'A small file.', 'the file after the timeout gets a new worker')
})
