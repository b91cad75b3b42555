/**
 * The report document (DOCX) and the report bundle (ZIP), built by background tasks and downloaded
 * through the API: the DOCX is a valid Office document whose text holds the headings, the PRISMA
 * counts of GET /prisma, the agreement figures, the analyses' numbers and the references, with its
 * figures in word/media; every file of the bundle is non-empty and readable by an independent reader
 * (ExcelJS, csv-parse, fflate for the Office files); checklists and bibliography as DOCX.
 */
import { parse } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { strFromU8, unzipSync } from 'fflate'
import t from 'tap'
import { synthesisDrafts } from '../../src/db/schema.ts'
import { build, fileUpload, needsServices, taskFinished, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const RECORDS = [
  ['Okonkwo', 'Therapeutic alliance with chatbots: a randomised trial', '10.7000/r1'],
  ['Lindqvist', 'Alliance-focused training for nurses', '10.7000/r2'],
  ['Moreau', 'Rupture and repair in videoconference psychotherapy', '10.7000/r3'],
  ['Tanaka', 'Bond formation with virtual agents in older adults', '10.7000/r4'],
  ['Silva', 'Goal consensus in text-based counselling', '10.7000/r5']
].map(([author, title, doi]) => `TY  - JOUR\nTI  - ${title}\nAU  - ${author}, Ana\nPY  - 2021\nJO  - Journal of Review Methods\nVL  - 4\nSP  - 10\nEP  - 19\nDO  - ${doi}\nER  - \n\n`).join('')

/** The text of a Word document's body, paragraphs separated by newlines. */
function docxText(docx: Uint8Array): { xml: string; text: string; files: Record<string, Uint8Array> } {
  const files = unzipSync(docx)
  if (!files['[Content_Types].xml'] || !files['word/document.xml']) throw new Error('not an Office Open XML package')
  const xml = strFromU8(files['word/document.xml'])
  const text = xml.split('</w:p>').map((p) => [...p.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]).join('')).join('\n')
    .replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, '\'')
  return { xml, text, files }
}

t.test('report document and bundle', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const carol = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Alliance review', question: 'Does the therapeutic alliance predict outcomes of digital interventions?' } })).json()
  const base = `/api/projects/${project.id}`
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object, auth = alice.auth) => {
    const res = await app.inject({ method, url: `${base}${url}`, headers: auth, payload })
    t.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.statusCode < 300 ? '' : res.body.slice(0, 300)}`)
    return res.json()
  }
  await call('PUT', '/members', { email: bob.user.email, role: 'reviewer' })
  const upload = fileUpload('embase.ris', RECORDS, { sourceDatabase: 'Embase' })
  const imported = (await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...alice.auth, ...upload.headers }, payload: upload.payload })).json()
  t.equal((await taskFinished(app, alice.auth, imported.id)).status, 'succeeded')
  const list = (await call('GET', '/articles')).items as Json[]
  const id = (word: string) => list.find((a) => a.title.includes(word))!.id as string

  await call('PATCH', '/screening-settings', { reviewersPerRecord: 2, exclusionReasons: ['wrong population', 'wrong design'] })
  const both = async (articleId: string, a: Json, b: Json = a) => {
    await call('POST', `/articles/${articleId}/decisions`, a)
    await call('POST', `/articles/${articleId}/decisions`, b, bob.auth)
  }
  for (const w of ['chatbots', 'nurses', 'Rupture']) await both(id(w), { stage: 'title_abstract', decision: 'include' })
  await both(id('Bond'), { stage: 'title_abstract', decision: 'exclude', reason: 'wrong population' })
  await both(id('Goal'), { stage: 'title_abstract', decision: 'include' }, { stage: 'title_abstract', decision: 'exclude', reason: 'wrong design' })
  await both(id('chatbots'), { stage: 'full_text', decision: 'include' })
  await both(id('nurses'), { stage: 'full_text', decision: 'include' })
  await both(id('Rupture'), { stage: 'full_text', decision: 'exclude', reason: 'wrong design' })

  await call('PUT', `/articles/${id('chatbots')}/rob/rob1/mine`, { status: 'complete', judgements: { D1: 'low', D2: 'unclear', D3: 'high', D4: 'low', D5: 'low', D6: 'low', D7: 'low' } })
  await call('POST', '/analyses', {
    name: 'Alliance and outcome', kind: 'generic', measure: 'GEN', method: 'DL',
    rows: [{ label: 'Okonkwo 2021', yi: -0.5, se: 0.2 }, { label: 'Lindqvist 2021', yi: -0.3, se: 0.25 }, { label: 'Trial 3', yi: -0.1, se: 0.3 }]
  })
  const prisma = await call('GET', '/prisma')
  const agreement = await call('GET', '/screening/agreement?stage=title_abstract')
  const analysis = (await call('GET', '/analyses'))[0] as Json

  const runReport = async (payload: Json, auth = alice.auth) => {
    const res = await app.inject({ method: 'POST', url: `${base}/reports`, headers: auth, payload })
    t.equal(res.statusCode, 202, res.body.slice(0, 300))
    const task = await taskFinished(app, auth, res.json().id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    return task as Json
  }
  const download = (taskId: string, auth = alice.auth) => app.inject({ url: `${base}/reports/${taskId}/download`, headers: auth })

  t.test('the DOCX report: headings, PRISMA counts, agreement, analyses, references and figures', async (t) => {
    const task = await runReport({ kind: 'docx', style: 'vancouver', language: 'en' })
    t.match(task.result, { fileName: 'Alliance_review-report.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' })
    t.equal(task.progress, 1)
    const res = await download(task.id)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-disposition'], 'attachment; filename="Alliance_review-report.docx"')
    t.equal(res.rawPayload.length, task.result.size)
    const { text, files } = docxText(res.rawPayload)
    for (const heading of ['Alliance review', 'Review question', 'Methods', 'Information sources', 'Search strategies', 'Selection process',
      'Study selection (PRISMA 2020 flow diagram)', 'Characteristics of included studies', 'Risk of bias in included studies', 'Meta-analyses', 'Synthesis', 'References']) {
      t.match(text, new RegExp(`^${heading.replace(/[()]/g, '\\$&')}$`, 'm'), `heading ${heading}`)
    }
    t.match(text, 'Does the therapeutic alliance predict outcomes of digital interventions?')
    // The PRISMA table: each count as GET /prisma gives it.
    const row = (box: string, detail = '') => new RegExp(`^${box}\n${detail}\n(\\d+)$`, 'm').exec(text)?.[1]
    t.equal(row('Records identified'), String(prisma.identification.total))
    t.equal(row('Records identified \\(file\\)', 'Embase'), String(prisma.identification.sources[0].records))
    t.equal(row('Records screened'), String(prisma.screening.titleAbstract.screened))
    t.equal(row('Records excluded'), String(prisma.screening.titleAbstract.excluded))
    t.equal(row('Reports sought for retrieval'), String(prisma.screening.fullText.soughtForRetrieval))
    t.equal(row('Reports excluded', 'wrong design'), '1')
    t.equal(row('Studies included in review'), String(prisma.included))
    t.equal(prisma.included, 2)
    // Screening agreement as GET /screening/agreement computes it.
    t.match(text, `${agreement.cohen.kappa.toFixed(3)} (Cohen`, 'Cohen\'s kappa of the title/abstract stage')
    t.match(text, 'Each record was screened independently by 2 reviewers')
    // Included studies from their metadata (no extraction consensus), the analysis' numbers, the references.
    t.match(text, 'No extraction consensus yet')
    t.match(text, /^Okonkwo et al\.|^Okonkwo$/m)
    t.match(text, analysis.estimate.toFixed(4), 'the pooled estimate')
    t.match(text, `${analysis.ciLb.toFixed(4)} to ${analysis.ciUb.toFixed(4)}`)
    t.match(text, 'No synthesis draft was generated for this project.')
    t.match(text, 'Therapeutic alliance with chatbots: a randomised trial')
    t.match(text, 'Alliance-focused training for nurses')
    t.notMatch(text, 'Bond formation', 'excluded records are not among the references')
    // Figures: PRISMA, RoB traffic light and summary, forest plot.
    const media = Object.keys(files).filter((f) => f.startsWith('word/media/'))
    t.equal(media.length, 4, media.join(', '))
    for (const m of media) t.same([...files[m].subarray(1, 4)], [...Buffer.from('PNG')], `${m} is a PNG`)
  })

  t.test('French headings, a choice of sections', async (t) => {
    const task = await runReport({ kind: 'docx', style: 'apa', language: 'fr', sections: ['prisma', 'references'] })
    const { text, files } = docxText((await download(task.id)).rawPayload)
    t.match(text, 'Sélection des études (diagramme de flux PRISMA 2020)')
    t.match(text, 'Références bibliographiques')
    t.notMatch(text, 'Méthodes')
    t.notMatch(text, 'Méta-analyses')
    t.equal(Object.keys(files).filter((f) => f.startsWith('word/media/')).length, 1, 'the PRISMA diagram only')
    const direct = await app.inject({ url: `${base}/report.docx?language=fr&sections=prisma,references`, headers: alice.auth })
    t.equal(direct.statusCode, 200)
    t.match(docxText(direct.rawPayload).text, 'Références bibliographiques')
    const wrong = await app.inject({ url: `${base}/report.docx?sections=prisma,appendix`, headers: alice.auth })
    t.equal(wrong.statusCode, 400)
    t.match(wrong.json().message, 'sections')
  })

  t.test('the synthesis section: the latest stored LLM synthesis draft', async (t) => {
    const draft = (version: number, words: string) => ({
      projectId: project.id, version, language: 'en', model: 'llama3:8b', promptVersion: 'synthesis-1', options: {}, input: { studies: [] }, citationKeys: {},
      sections: [{ name: 'synthesis', text: `Synthesis ${words} [Okonkwo2021].`, sentences: [] }, { name: 'discussion', text: `Discussion ${words}.`, sentences: [] }]
    })
    await app.db.insert(synthesisDrafts).values([draft(1, 'of the first version'), draft(2, 'of the second version')])
    const { text } = docxText((await app.inject({ url: `${base}/report.docx?sections=synthesis`, headers: alice.auth })).rawPayload)
    t.match(text, /^Synthesis of the second version \[Okonkwo2021\]\.$/m)
    t.match(text, /^Discussion of the second version\.$/m)
    t.notMatch(text, 'first version', 'only the latest version')
    t.notMatch(text, 'No synthesis draft was generated')
  })

  t.test('the bundle: every file listed, non-empty and readable', async (t) => {
    const task = await runReport({ kind: 'bundle', style: 'apa', language: 'en' })
    const res = await download(task.id)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/zip')
    t.equal(res.headers['content-disposition'], 'attachment; filename="Alliance_review-report-bundle.zip"')
    const files = unzipSync(res.rawPayload)
    const names = Object.keys(files).sort()
    t.same(names, (task.result.entries as Json[]).map((e) => e.name).sort(), 'the task result lists the entries')
    for (const name of names) t.ok(files[name].length > 0, `${name} is not empty`)
    const readme = strFromU8(files['README.txt'])
    for (const name of names.filter((n) => n !== 'README.txt')) t.match(readme, name, `README.txt lists ${name}`)
    for (const expected of ['Alliance_review-report.docx', 'figures/prisma-diagram.svg', 'figures/prisma-diagram.png', 'figures/risk-of-bias-rob1-traffic-light.svg',
      'figures/risk-of-bias-rob1-summary.png', 'figures/forest-1-alliance-and-outcome.svg', 'figures/funnel-1-alliance-and-outcome.png',
      'tables/articles.csv', 'tables/decisions.csv', 'tables/prisma.csv', 'tables/risk-of-bias-rob1.csv', 'tables/meta-analyses.csv', 'tables/Alliance_review-report.xlsx',
      'bibliography/Alliance_review-bibliography-apa.txt', 'bibliography/Alliance_review-bibliography-apa.html', 'bibliography/Alliance_review-bibliography-apa.rtf',
      'bibliography/Alliance_review-bibliography-apa.docx', 'bibliography/Alliance_review-bibliography.bib', 'bibliography/Alliance_review-bibliography.ris',
      'checklists/prisma-2020.csv', 'checklists/prisma-2020.xlsx', 'checklists/prisma-2020.docx', 'checklists/prisma-s.docx', 'checklists/prisma-scr.xlsx']) {
      t.ok(files[expected], `${expected} in the bundle`)
    }
    for (const name of names.filter((n) => n.endsWith('.svg'))) t.match(strFromU8(files[name]), /^<svg[\s\S]*<\/svg>\s*$/, `${name} is an SVG`)
    for (const name of names.filter((n) => n.endsWith('.png'))) t.same([...files[name].subarray(1, 4)], [...Buffer.from('PNG')], `${name} is a PNG`)
    for (const name of names.filter((n) => n.endsWith('.docx'))) t.ok(unzipSync(files[name])['word/document.xml'], `${name} is a Word document`)
    for (const name of names.filter((n) => n.endsWith('.csv'))) {
      const rows = parse(strFromU8(files[name]), { bom: true }) as string[][]
      t.ok(rows.length >= 2 && rows.every((r) => r.length === rows[0].length), `${name}: a header and rows of equal width`)
    }
    const prismaCsv = parse(strFromU8(files['tables/prisma.csv']), { columns: true }) as Json[]
    t.equal(prismaCsv.find((r) => r.box === 'Studies included in review')!.count, String(prisma.included))
    for (const name of names.filter((n) => n.endsWith('.xlsx'))) {
      const workbook = new ExcelJS.Workbook()
      await workbook.xlsx.load(Buffer.from(files[name]) as unknown as ArrayBuffer)
      t.ok(workbook.worksheets.length > 0 && workbook.worksheets[0].rowCount > 1, `${name} read by ExcelJS`)
    }
    const report = new ExcelJS.Workbook()
    await report.xlsx.load(Buffer.from(files['tables/Alliance_review-report.xlsx']) as unknown as ArrayBuffer)
    t.same(report.worksheets.map((s) => s.name), ['Articles', 'Decisions', 'PRISMA', 'Title-abstract screening', 'Full-text screening', 'Risk of bias rob1', 'Meta-analyses'])
    t.match(strFromU8(files['bibliography/Alliance_review-bibliography.ris']), /^TY {2}- JOUR/m)
    t.equal(strFromU8(files['bibliography/Alliance_review-bibliography-apa.txt']).trim().split('\n').length, 2, 'the two included studies')
  })

  t.test('checklists and the bibliography as DOCX', async (t) => {
    await call('PUT', '/checklists/prisma-2020', { items: [{ id: '7', status: 'reported', location: 'Appendix 2', notes: 'full strategies' }] })
    const res = await app.inject({ url: `${base}/checklists/prisma-2020/export?format=docx`, headers: alice.auth })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-disposition'], 'attachment; filename="prisma-2020.docx"')
    const { text } = docxText(res.rawPayload)
    t.match(text, /^Item\nTopic\nStatus\nLocation\nNotes$/m, 'the table\'s header')
    t.match(text, /^7\n.*Search strategy\nReported\nAppendix 2\nfull strategies/m, 'item 7 as the project filled it in')
    const fr = docxText((await app.inject({ url: `${base}/checklists/prisma-2020/export?format=docx&language=fr`, headers: alice.auth })).rawPayload)
    t.match(fr.text, /^7\n.*\nRapporté\nAppendix 2/m)

    const bib = await app.inject({ url: `${base}/bibliography?format=docx&style=apa`, headers: alice.auth })
    t.equal(bib.statusCode, 200)
    t.match(bib.headers['content-disposition'], 'Alliance_review-bibliography-apa.docx')
    const { xml, text: refs } = docxText(bib.rawPayload)
    t.match(refs, /Okonkwo, A\. \(2021\)\. Therapeutic alliance with chatbots: a randomised trial\. Journal of Review Methods, 4, 10–19/)
    t.match(xml, /<w:i\/>[\s\S]*Journal of Review Methods/, 'the journal in italics, as APA sets it')
    const rtf = await app.inject({ url: `${base}/bibliography?format=rtf&style=vancouver`, headers: alice.auth })
    t.match(rtf.body, /^\{\\rtf1/)
  })

  t.test('who may start and download reports; bad requests', async (t) => {
    const task = await runReport({ kind: 'docx', style: 'ieee', language: 'en', sections: ['references'] })
    t.equal((await download(task.id, carol.auth)).statusCode, 404, 'a non-member gets 404')
    t.equal((await download(task.id, bob.auth)).statusCode, 200, 'another member, screening not blind')
    const bad = await app.inject({ method: 'POST', url: `${base}/reports`, headers: alice.auth, payload: { kind: 'pdf', style: 'apa', language: 'en' } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json().message, 'kind')
    const badStyle = await app.inject({ method: 'POST', url: `${base}/reports`, headers: alice.auth, payload: { kind: 'docx', style: 'mla', language: 'en' } })
    t.equal(badStyle.statusCode, 400)
    t.match(badStyle.json().message, 'style')
    t.equal((await download(imported.id)).statusCode, 404, 'an import task is not a report')
    // A report that has not finished yet is a 409 naming its state.
    const [queued] = await app.db.execute<{ id: string }>(
      `INSERT INTO tasks (project_id, type, status, payload, created_by) VALUES ('${project.id}', 'report-bundle', 'failed', '{"style":"apa","language":"en"}', '${alice.user.id}') RETURNING id`
    ).then((r) => r.rows)
    const notReady = await download(queued.id)
    t.equal(notReady.statusCode, 409)
    t.match(notReady.json().message, 'failed')
  })

  t.test('reports are deleted with the project', async (t) => {
    const task = await runReport({ kind: 'bundle', style: 'apa', language: 'en', sections: ['references'] })
    const storage = app.storageDir
    const { default: fs } = await import('node:fs')
    const { default: path } = await import('node:path')
    const stored = path.join(storage, 'projects', project.id, 'reports', `${task.id}.zip`)
    t.ok(fs.existsSync(stored), 'the bundle is in the project\'s storage')
    t.equal((await app.inject({ method: 'DELETE', url: base, headers: alice.auth })).statusCode, 204)
    t.notOk(fs.existsSync(stored), 'and gone with the project')
  })
})
