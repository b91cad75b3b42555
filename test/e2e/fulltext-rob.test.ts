/**
 * Full texts and risk of bias in the browser: a PDF uploaded for an included
 * record, extracted, searchable and read page by page; a bulk upload with its
 * match report and a manual match; a RoB 2 assessment whose questions follow
 * the answers, the API's refusal shown, the derived judgement and the
 * traffic-light plot; an LLM extraction run started from the screen, its
 * values shown beside the fields with their quotes verified or flagged, one
 * taken into the form; axe-core on both tabs.
 */
import t from 'tap'
import { fileUpload, waitFor } from '../helper.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
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
  // The stand-in answers an extraction request (fields with "value") with the values below, and a risk-of-bias
  // request (questions with "answer") with every RoB 2 question "low", 1.2 with a sentence of the PDF, 1.3 with one that is not in it.
  const model = {
    sample_size: { value: 120, not_reported: false, quote: 'Participants were randomised by a central web service.', page: 1 },
    country: { value: 'France', not_reported: false, quote: 'recruited in Paris', page: 1 }
  }
  const LOW: Record<string, string> = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }
  const QUOTES: Record<string, string> = { 1.2: 'Participants were randomised by a central web service.', 1.3: 'Groups were balanced at baseline.' }
  const ollama = await startFakeOllama({
    models: ['phi3:mini', 'llama3:8b'],
    answer: ({ body }) => {
      const properties = (body.format as { properties?: Record<string, { properties?: Record<string, unknown> }> } | undefined)?.properties ?? {}
      const ids = Object.keys(properties)
      if (ids.some((k) => properties[k].properties?.answer !== undefined)) {
        return JSON.stringify(Object.fromEntries(ids.map((q) => [q, { answer: LOW[q] ?? 'NA', quote: QUOTES[q] ?? '', page: 1 }])))
      }
      return JSON.stringify(Object.fromEntries(ids.map((k) => [k, model[k as keyof typeof model] ?? { value: null, not_reported: true, quote: '', page: 0 }])))
    }
  })
  t.teardown(() => ollama.close())
  const { service, browser, pages, api } = await reviewSetUp(t, 'fulltext-rob', { OLLAMA_BASE_URL: ollama.baseUrl })
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

  // An LLM extraction run of the records included at full text, started from the screen; its values beside the fields.
  await api('POST', `/api/projects/${projectId}/articles/${id(TITLES[0])}/decisions`, { decision: 'include', stage: 'full_text' })
  await api('POST', '/api/profiles', { id: 'local-test', name: 'Local', preprocessModel: 'phi3:mini', extractModel: 'phi3:mini', synthesisModel: 'phi3:mini' })
  await page.getByText('Extract with a local LLM').click()
  await page.getByLabel('Analysis profile').selectOption('local-test')
  await page.getByRole('button', { name: 'Start the LLM extraction' }).click()
  const modelValue = (key: string) => form.locator(`[data-field="${key}"] [data-testid="llm-value"]`)
  await modelValue('sample_size').getByText('quote found in the text').waitFor({ timeout: 30000 })
  t.match(await modelValue('sample_size').textContent(), /Model phi3:mini: 120 — “Participants were randomised by a central web service\.” \(Page 1\)/)
  t.match(await modelValue('country').textContent(), /France — “recruited in Paris”.*quote not found in the text/, 'a quote not in the text is flagged')
  await modelValue('country').getByRole('button', { name: 'Use this value' }).click()
  t.equal(await form.getByLabel('Country *').inputValue(), 'France', 'the model\'s value taken into the form')
  await form.getByRole('button', { name: 'Save as complete' }).click()
  await form.getByText('Saved (complete).').waitFor()
  const corrected = await api('GET', `/api/projects/${projectId}/articles/${id(TITLES[0])}/extractions/mine?gridId=${grid.id}`)
  t.same(corrected.values.country, { value: 'France', quote: 'recruited in Paris' }, 'stored with the model\'s quote (no page: it was not found)')
  await expectAccessible(t, page, 'fulltext-llm')

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

  // The LLM assessment of the same article: its answers and quotes beside the reviewer's, an unverified quote flagged.
  await page.getByLabel('Model').fill('llama3:8b')
  await page.getByRole('button', { name: 'Assess this article' }).click()
  const llmAnswers = page.getByRole('table', { name: 'The model\'s answers beside yours' })
  await llmAnswers.waitFor({ timeout: 30000 })
  t.equal(await page.getByTestId('llm-answer-1.2').textContent(), 'Y')
  t.match(await llmAnswers.locator('tr', { hasText: /^1\.2 / }).textContent(), /«Participants were randomised by a central web service\.» \(p\. 1\)/)
  t.match(await llmAnswers.locator('tr', { hasText: /^1\.3 / }).textContent(), /not found in the text/)
  const llm = (await api('GET', `/api/projects/${projectId}/articles/${id(TITLES[0])}/rob/rob2`)).find((a: { model: string | null }) => a.model)
  t.same([llm.status, llm.derived.overall.judgement], ['complete', 'low'], 'the judgement derived from the model\'s answers')
  await expectAccessible(t, page, 'risk-of-bias')
})
