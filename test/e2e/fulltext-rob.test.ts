/**
 * Full texts and risk of bias in the browser: a PDF uploaded for an included
 * record, extracted, searchable and read page by page; a bulk upload with its
 * match report and a manual match; a RoB 2 assessment whose questions follow
 * the answers, the API's refusal shown, the derived judgement and the
 * traffic-light plot; axe-core on both tabs.
 */
import t from 'tap'
import { fileUpload, waitFor } from '../helper.ts'
import { articlePdf } from '../support/pdfs.ts'
import { zipArchive } from '../support/zip.ts'
import { expectAccessible, needsApp, reviewSetUp, signedInContext, toCsv } from './support.ts'

const TITLES = [
  'Working alliance with a conversational agent for depression',
  'Blended cognitive therapy delivered through smartphone applications in adolescents',
  'Peer support forums and loneliness among older rural adults'
]

const pdf = async (title: string, words: string) => Buffer.from(await articlePdf({
  pages: 2, title, info: { title },
  body: (p) => [`Page ${p} of the trial report about ${words}.`, 'Participants were randomised by a central web service.']
}))

t.test('full texts and risk of bias in the browser', { skip: needsApp }, async (t) => {
  const { service, browser, pages, api } = await reviewSetUp(t, 'fulltext-rob')
  const project = await api('POST', '/api/projects/', { name: 'Digital alliance' })
  const projectId: string = project.id
  const rows = TITLES.map((title, i) => ({ title, authors: 'Doe J', abstract: `An abstract about ${title.toLowerCase()}.`, year: '2021', pubmedID: String(30000001 + i) }))
  const upload = fileUpload('records.csv', toCsv(rows))
  const task = (await service.app.inject({ method: 'POST', url: `/api/projects/${projectId}/imports`, headers: { ...service.admin.auth, ...upload.headers }, payload: upload.payload })).json()
  await waitFor(async () => (await api('GET', `/api/tasks/${task.id}`)).status === 'succeeded', 30000)
  const articles: Array<{ id: string; title: string }> = (await api('GET', `/api/projects/${projectId}/articles?pageSize=10`)).items
  const id = (title: string) => articles.find((a) => a.title === title)!.id
  const grid = await api('POST', `/api/projects/${projectId}/grids`, {
    definition: { name: 'Trials', sections: [{ title: 'Study', fields: [
      { label: 'Sample size', type: 'integer', required: true }, { label: 'Blinded', type: 'boolean' },
      { label: 'Design', type: 'single_choice', choices: ['RCT', 'cohort'] }, { label: 'Country', type: 'text', required: true }
    ] }] }
  })
  for (const a of articles) await api('POST', `/api/projects/${projectId}/articles/${a.id}/decisions`, { decision: 'include', stage: 'title_abstract' })

  const page = await (await signedInContext(browser, service, service.admin)).newPage()
  pages.push(page)
  await page.goto(`/projects/${projectId}`)
  await page.getByRole('link', { name: 'Full texts' }).click()
  const row = page.locator(`tr[data-article="${id(TITLES[0])}"]`)
  await row.getByText('No PDF').waitFor()

  // One PDF for one article: extracted (status follows the task), then searchable and readable.
  await row.locator('input[type=file]').setInputFiles({ name: 'paper.pdf', mimeType: 'application/pdf', buffer: await pdf(TITLES[0], 'the therapeutic alliance') })
  await row.getByText('PDF, text extracted (2 pages)').waitFor({ timeout: 30000 })
  t.match(await page.locator(`tr[data-article="${id(TITLES[1])}"]`).textContent(), /No PDF/, 'the other articles still have none')
  await page.getByLabel('Words, "a phrase", -excluded').fill('therapeutic alliance')
  await page.getByRole('button', { name: 'Search', exact: true }).click()
  await page.getByText('2 pages found').waitFor()
  t.same(new Set(await page.locator('.ft-hits mark').allTextContents()), new Set(['therapeutic', 'alliance']), 'the matches are highlighted in the snippets')
  await row.getByRole('button', { name: 'Read the text' }).click()
  await page.getByRole('heading', { name: 'Page 2' }).waitFor()
  t.match(await page.getByRole('article', { name: 'Page 2' }).textContent(), /Page 2 of the trial report about the therapeutic alliance/, 'the extracted text, page by page')

  // The grid as a form next to the text: typed values, "not reported", saved as complete.
  const form = page.getByRole('form', { name: 'Data extraction' })
  await form.getByLabel('Sample size *').fill('120')
  await form.getByLabel('Blinded').selectOption('yes')
  await form.getByLabel('Design').selectOption('RCT')
  await form.locator('[data-field="country"]').getByLabel('Not reported').check()
  await form.getByRole('button', { name: 'Save as complete' }).click()
  await form.getByText('Saved (complete).').waitFor()
  const extraction = await api('GET', `/api/projects/${projectId}/articles/${id(TITLES[0])}/extractions/mine?gridId=${grid.id}`)
  t.same([extraction.status, extraction.values], ['complete', { sample_size: { value: 120 }, blinded: { value: true }, design: { value: 'RCT' }, country: { notReported: true } }], 'the values stored with their types')
  await expectAccessible(t, page, 'fulltext')

  // Several PDFs: one matched by its title, one matched by hand from the report.
  await page.getByLabel('Choose PDFs or ZIPs…').setInputFiles([
    { name: 'b.pdf', mimeType: 'application/pdf', buffer: await pdf(TITLES[1], 'smartphones') },
    { name: 'unknown.pdf', mimeType: 'application/pdf', buffer: await pdf('Something else entirely unrelated to any record', 'nothing') }
  ])
  const report = page.getByRole('list', { name: 'Match report' })
  await report.waitFor({ timeout: 30000 })
  t.match(await report.textContent(), new RegExp(`b\\.pdf → ${TITLES[1]} \\(rule: `), 'matched by a rule, named')
  await page.getByLabel('Article for unknown.pdf').selectOption({ label: TITLES[2] })
  await report.getByText(`Attached to ${TITLES[2]}.`).waitFor()
  await page.locator(`tr[data-article="${id(TITLES[2])}"]`).getByText('PDF, text extracted (2 pages)').waitFor({ timeout: 30000 })

  // A ZIP with a PDF deep inside and a note: the PDF matches no article, so it waits in the unmatched list, where it is deleted.
  await page.getByLabel('Choose PDFs or ZIPs…').setInputFiles({
    name: 'more.zip', mimeType: 'application/zip',
    buffer: zipArchive([{ name: 'a/b/extra.pdf', content: await pdf('Knee surgery registry of another field entirely', 'knees') }, { name: 'a/readme.txt', content: 'note' }])
  })
  await page.getByRole('list', { name: 'Match report' }).getByText('more.zip: 1 PDFs read, 1 other entries skipped').waitFor({ timeout: 30000 })
  const unmatched = page.locator('.ft-unmatched li', { hasText: 'extra.pdf' })
  await unmatched.getByText(/by task fulltext-bulk/).waitFor({ timeout: 10000 })
  await unmatched.getByRole('button', { name: 'Delete this PDF' }).click()
  await page.getByText('Every stored PDF is attached to an article.').waitFor()
  t.equal((await api('GET', `/api/projects/${projectId}/fulltext/files?status=unmatched`)).total, 0, 'the unmatched PDF is deleted')

  // RoB 2: question 2.3 appears only after 2.1 is answered yes; an incomplete "complete" is refused with the API's words.
  await page.getByRole('link', { name: 'Risk of bias' }).click()
  await page.getByLabel('Tool').selectOption('rob2')
  await page.getByLabel('Article').selectOption({ label: TITLES[0] })
  const question = (qid: string) => page.locator('label.rob-question', { hasText: new RegExp(`^${qid.replace('.', '\\.')} `) }).locator('select')
  await question('1.1').waitFor()
  t.equal(await question('2.3').count(), 0, '2.3 does not apply before 2.1 is answered')
  await question('2.1').selectOption('Y')
  await question('2.3').waitFor()
  await question('2.1').selectOption('N')
  await question('1.1').selectOption('Y')
  await page.reload()
  t.equal(await question('1.1').inputValue(), 'Y', 'an unsaved answer survives a reload')
  await page.getByRole('button', { name: 'Save as complete' }).click()
  await page.getByRole('alert').getByText(/applies/).waitFor()
  const answers: Record<string, string> = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }
  for (const [qid, answer] of Object.entries(answers)) await question(qid).selectOption(answer)
  await page.getByRole('button', { name: 'Save as complete' }).click()
  await page.getByText('Saved (complete).').waitFor()
  t.equal(await page.getByTestId('rob-overall').textContent(), 'low', 'the overall judgement derived by the API')
  const saved = await api('GET', `/api/projects/${projectId}/articles/${id(TITLES[0])}/rob/rob2/mine`)
  t.same([saved.status, saved.derived.overall.judgement], ['complete', 'low'], 'stored as complete')
  const figure = page.getByRole('img', { name: /Traffic-light plot/ })
  await waitFor(async () => figure.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 10000)
  t.ok(await figure.evaluate((img: HTMLImageElement) => img.naturalWidth > 0), 'the traffic-light plot is shown')
  await expectAccessible(t, page, 'risk-of-bias')
})
