import t from 'tap'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { UnpaywallConnector } from '../../src/connectors/unpaywall.ts'
import { sendText, startApiServer } from '../support/api-servers/server.ts'
import { startUnpaywallServer } from '../support/api-servers/unpaywall.ts'

const PDF = Buffer.concat([Buffer.from('%PDF-1.5\n%\xb5\xed\xae\xfb\n'), Buffer.alloc(20_000, 'p'), Buffer.from('\n%%EOF\n')])
const quick = { rateLimit: 100, baseDelayMs: 20, maxDelayMs: 100 }

async function setup(t: { teardown: (fn: () => Promise<void>) => void }) {
  // The "publisher" hosting PDFs lives on 127.0.0.2, allowed by the test policy; 127.0.0.1 stays refused.
  const files = await startApiServer((req, res) => {
    if (req.path === '/paper.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(PDF.length) })
      res.end(PDF)
    } else if (req.path === '/huge.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' })
      res.end(Buffer.concat([PDF, Buffer.alloc(300_000, 'q')]))
    } else if (req.path === '/landing.pdf') {
      sendText(res, 200, '<!doctype html><html><head><title>Access denied</title></head><body>Please log in.</body></html>', 'text/html')
    } else if (req.path === '/to-internal') {
      sendText(res, 302, '', 'text/plain', { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' })
    } else sendText(res, 404, 'not here')
  }, { host: '127.0.0.2' })
  const pdfUrl = (p: string) => `${files.origin}${p}`
  const api = await startUnpaywallServer({
    '10.1016/j.invent.2020.100001': [{ url_for_pdf: pdfUrl('/paper.pdf'), host_type: 'publisher', license: 'cc-by', version: 'publishedVersion' }],
    '10.1016/j.invent.2020.100002': [{ url_for_pdf: pdfUrl('/landing.pdf') }, { url_for_pdf: pdfUrl('/paper.pdf'), host_type: 'repository', license: 'cc-by-nc', version: 'acceptedVersion' }],
    '10.1016/j.invent.2020.100003': [{ url_for_pdf: pdfUrl('/huge.pdf') }],
    '10.1016/j.invent.2020.100004': [{ url_for_pdf: pdfUrl('/to-internal') }, { url_for_pdf: 'http://127.0.0.1:9/secret.pdf' }],
    '10.1016/j.invent.2020.100005': [],
    '10.1016/j.invent.2020.100006': [{ url_for_pdf: null, url: 'https://example.org/landing' }],
    '10.1016/j.invent.2020.100007': [{ url_for_pdf: pdfUrl('/landing.pdf') }]
  })
  const dir = await mkdtemp(path.join(os.tmpdir(), 'unpaywall-'))
  t.teardown(async () => {
    await files.close()
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })
  const unpaywall = new UnpaywallConnector({ baseUrl: api.baseUrl, email: 'team@example.org', ...quick, download: { allowAddress: (ip) => ip === '127.0.0.2' } })
  return { files, api, dir, unpaywall }
}

t.test('Unpaywall needs a contact email', async (t) => {
  t.throws(() => new UnpaywallConnector({ baseUrl: 'http://127.0.0.1:1/v2' }), /email/)
})

t.test('the best open-access PDF is downloaded safely with its hash, host type and licence', async (t) => {
  const { api, dir, unpaywall } = await setup(t)
  const dest = path.join(dir, 'a.pdf')
  const result = await unpaywall.downloadOpenAccessPdf('https://doi.org/10.1016/J.INVENT.2020.100001', dest, { maxBytes: 1_000_000 })
  t.match(result, { ok: true, bytes: PDF.length, source: 'unpaywall', hostType: 'publisher', license: 'cc-by', version: 'publishedVersion', path: dest })
  if (!result.ok) return
  t.equal(result.sha256, createHash('sha256').update(PDF).digest('hex'))
  t.same(await readFile(dest), PDF)
  t.equal(api.requests[0].path, '/v2/10.1016/j.invent.2020.100001')
  t.equal(api.requests[0].params.get('email'), 'team@example.org')
})

t.test('a location that is not a PDF is skipped for the next one', async (t) => {
  const { dir, unpaywall } = await setup(t)
  const result = await unpaywall.downloadOpenAccessPdf('10.1016/j.invent.2020.100002', path.join(dir, 'b.pdf'), { maxBytes: 1_000_000 })
  t.match(result, { ok: true, hostType: 'repository', license: 'cc-by-nc', version: 'acceptedVersion' })
})

t.test('refusals come back as typed reasons, never as a file', async (t) => {
  const { dir, unpaywall } = await setup(t)
  const tooLarge = await unpaywall.downloadOpenAccessPdf('10.1016/j.invent.2020.100003', path.join(dir, 'c.pdf'), { maxBytes: 100_000 })
  t.match(tooLarge, { ok: false, reason: 'download-failed', attempts: [{ reason: 'too-large' }] })
  const internal = await unpaywall.downloadOpenAccessPdf('10.1016/j.invent.2020.100004', path.join(dir, 'd.pdf'), { maxBytes: 1_000_000 })
  t.match(internal, { ok: false, reason: 'download-failed', attempts: [{ reason: 'blocked-address' }, { reason: 'blocked-address' }] }, 'redirect to the metadata address and a loopback URL refused')
  const landing = await unpaywall.downloadOpenAccessPdf('10.1016/j.invent.2020.100007', path.join(dir, 'h.pdf'), { maxBytes: 1_000_000 })
  t.match(landing, { ok: false, reason: 'download-failed', attempts: [{ reason: 'not-pdf' }] }, 'an HTML page served as a PDF URL is refused')
  t.match(await unpaywall.downloadOpenAccessPdf('10.1016/j.invent.2020.100005', path.join(dir, 'e.pdf'), { maxBytes: 1e6 }), { ok: false, reason: 'not-open-access' })
  t.match(await unpaywall.downloadOpenAccessPdf('10.1016/j.invent.2020.100006', path.join(dir, 'f.pdf'), { maxBytes: 1e6 }), { ok: false, reason: 'no-pdf-location' })
  t.match(await unpaywall.downloadOpenAccessPdf('10.9999/unknown', path.join(dir, 'g.pdf'), { maxBytes: 1e6 }), { ok: false, reason: 'unknown-doi' })
  t.same(await readdir(dir), [], 'nothing written for refused downloads')
})

t.test('lookup maps Unpaywall records and reports unknown DOIs', async (t) => {
  const { unpaywall } = await setup(t)
  const result = await unpaywall.lookup(['10.1016/j.invent.2020.100001', '10.9999/unknown', 'PMC123'])
  t.equal(result.found.length, 1)
  t.match(result.found[0].record, {
    sourceDatabase: 'Unpaywall', doi: '10.1016/j.invent.2020.100001', year: 2020, journal: 'Internet Interventions', issn: ['2214-7829'],
    authors: [{ family: 'Berger', given: 'Anna', orcid: '0000-0002-1825-0097' }, { family: 'Okafor', given: 'Kwame' }]
  })
  t.same(result.notFound, ['10.9999/unknown'])
  t.same(result.unsupported, ['PMC123'])
})
