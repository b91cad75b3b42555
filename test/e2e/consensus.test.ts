/**
 * Dual review in the browser: two reviewers' extractions of an article (one with a "rows" field
 * entered in the form) disagree; the owner sees the conflicts highlighted side by side, takes one
 * reviewer's value, edits another and saves the consensus, which the API then holds; the agreement
 * per field is shown. Two RoB 2 assessments disagree on a question; the consensus chosen in the
 * browser gets its judgement derived by the API. axe-core on the screen.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { fileUpload, waitFor } from '../helper.ts'
import { apiAs, expectAccessible, needsApp, reviewSetUp, signedInContext, toCsv, userWithPassword } from './support.ts'

const TITLE = 'Working alliance with a conversational agent for depression'
const ALL_LOW: Record<string, string> = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }

t.test('extraction and risk-of-bias consensus in the browser', { skip: needsApp }, async (t) => {
  const { service, browser, pages, api } = await reviewSetUp(t, 'consensus')
  const project = await api('POST', '/api/projects/', { name: 'Dual review' })
  const projectId: string = project.id
  const upload = fileUpload('records.csv', toCsv([{ title: TITLE, authors: 'Doe J', abstract: 'A trial.', year: '2022', pubmedID: '30000001' }]))
  const task = (await service.app.inject({ method: 'POST', url: `/api/projects/${projectId}/imports`, headers: { ...service.admin.auth, ...upload.headers }, payload: upload.payload })).json()
  await waitFor(async () => (await api('GET', `/api/tasks/${task.id}`)).status === 'succeeded', 30000)
  const [article] = (await api('GET', `/api/projects/${projectId}/articles?pageSize=10`)).items as Array<{ id: string }>
  await api('POST', `/api/projects/${projectId}/articles/${article!.id}/decisions`, { decision: 'include', stage: 'title_abstract' })
  const grid = await api('POST', `/api/projects/${projectId}/grids`, {
    definition: { name: 'Trials', sections: [{ title: 'Study', fields: [
      { label: 'Sample size', type: 'integer', required: true }, { label: 'Design', type: 'single_choice', choices: ['RCT', 'cohort'] },
      { label: 'Country', type: 'text' }, { label: 'Outcomes', type: 'rows', columns: [{ label: 'Arm' }, { label: 'N', type: 'integer' }] }
    ] }] }
  })
  const bob = await userWithPassword(service.app, 'bob@example.org', 'another long password')
  await api('PUT', `/api/projects/${projectId}/members`, { email: bob.email, role: 'reviewer' })
  const asBob = apiAs(service, bob.token)
  const base = `/api/projects/${projectId}/articles/${article!.id}`
  await asBob('PUT', `${base}/extractions/mine`, { gridId: grid.id, status: 'complete', values: {
    sample_size: { value: 118 }, design: { value: 'cohort' }, country: { value: 'France' }, outcomes: { value: [{ arm: 'app', n: 59 }] }
  } })

  // The owner's own extraction (the form beside the full text is exercised in fulltext-rob.test.ts).
  const own = await api('PUT', `${base}/extractions/mine`, { gridId: grid.id, status: 'complete', values: {
    sample_size: { value: 120 }, design: { value: 'RCT' }, country: { value: 'france' }, outcomes: { value: [{ arm: 'app', n: 60 }] }
  } })
  t.equal(own.status, 'complete')

  const page = await (await signedInContext(browser, service, service.admin)).newPage()
  pages.push(page)
  await page.goto(`/projects/${projectId}`)
  await page.getByRole('link', { name: 'Consensus' }).click()
  await page.getByLabel('Article').selectOption({ label: TITLE })
  const form = page.getByRole('form', { name: 'Data extraction: reviewers compared' })
  await form.getByTestId('ex-conflicts').getByText('3 conflict(s)').waitFor()
  t.same(await form.locator('tr.conflict').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field'))), ['sample_size', 'design', 'outcomes'],
    'the conflicting fields are highlighted (texts compared with case and spacing folded)')
  t.match(await form.locator('tr[data-field="sample_size"]').textContent(), /120.*118/, 'both reviewers\' values side by side')

  await form.getByRole('button', { name: 'Use this value (bob@example.org, Sample size)' }).click()
  t.equal(await form.getByLabel('Consensus value of Sample size').inputValue(), '118', 'the chosen reviewer\'s value fills the consensus')
  await form.getByLabel('Consensus value of Design').selectOption('RCT')
  await form.getByRole('button', { name: 'Use this value (admin@example.org, Outcomes)' }).click()
  await form.getByLabel('Arm, row 1').fill('app')
  await form.getByRole('button', { name: 'Add a row' }).click()
  await form.getByLabel('Arm, row 2').fill('usual care')
  await form.getByLabel('N, row 2').fill('58')
  await form.getByLabel('Note').fill('checked table 1')
  await form.getByRole('button', { name: 'Save consensus' }).click()
  await form.getByText('Consensus saved.').waitFor()
  const stored = await api('GET', `${base}/extractions?gridId=${grid.id}`)
  t.same(stored.consensus[0].values, {
    sample_size: { value: 118 }, design: { value: 'RCT' }, country: { value: 'france' }, outcomes: { value: [{ arm: 'app', n: 60 }, { arm: 'usual care', n: 58 }] }
  }, 'the consensus stored with its types (agreed values taken over)')
  t.equal(stored.consensus[0].note, 'checked table 1')

  const agreement = page.getByRole('table', { name: 'Agreement per field' })
  t.match(await agreement.locator('tr[data-field="country"]').textContent(), /100 %/, 'agreement per field')
  t.match(await agreement.locator('tr[data-field="sample_size"]').textContent(), /0 %/)
  t.match(await agreement.locator('tr[data-field="design"]').textContent(), /κ = /, 'kappa for a categorical field')

  // Risk of bias: two reviewers disagree on 1.2 (Y / PN) and so on D1.
  await api('PUT', `${base}/rob/rob2/mine`, { status: 'complete', answers: ALL_LOW })
  await asBob('PUT', `${base}/rob/rob2/mine`, { status: 'complete', answers: { ...ALL_LOW, 1.2: 'PN' } })
  await page.getByLabel('Tool').selectOption('rob2')
  // The comparison was asked for before the assessments existed: asked again.
  await page.getByRole('status').filter({ hasText: 'Nothing to compare yet' }).getByRole('button', { name: 'Compare again' }).click()
  const rob = page.getByRole('form', { name: 'Risk of bias: reviewers compared' })
  await rob.getByTestId('rob-conflicts').waitFor()
  t.ok(await rob.locator('tr.conflict[data-item="1.2"]').count(), 'the conflicting question is highlighted')
  t.equal(await rob.getByLabel('Consensus value of 1.1').inputValue(), 'Y', 'agreed answers are taken over')
  t.equal(await rob.getByLabel('Consensus value of 1.2').inputValue(), '', 'a conflicting answer waits for a choice')
  await rob.getByLabel('Consensus value of 1.2').selectOption('PY')
  await rob.getByRole('button', { name: 'Save consensus' }).click()
  await rob.getByText('Consensus saved.').waitFor()
  t.equal(await rob.getByTestId('rob-consensus-overall').textContent(), 'low', 'the judgement derived by the API')
  const list = await api('GET', `${base}/rob/rob2`) as Array<{ kind: string; answers: Record<string, string> }>
  t.equal(list.find((a) => a.kind === 'consensus')?.answers['1.2'], 'PY', 'the consensus stored')
  await expectAccessible(t, page, 'consensus')

  // The library's export carries the consensus values and judgements.
  await page.getByRole('link', { name: 'Library' }).click()
  await page.getByLabel('Format').selectOption('csv')
  await page.getByLabel('With the extraction of grid').selectOption({ label: 'Trials' })
  await page.getByLabel('With the risk of bias').selectOption('rob2')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download' }).click()])
  const rows = parse(await readFile(await download.path()), { columns: true, bom: true }) as Array<Record<string, string>>
  t.match(rows[0], { title: TITLE, 'extraction:source': 'consensus', 'extraction:sample_size': '118', 'extraction:outcomes.arm': 'app | usual care', 'rob:source': 'consensus', 'rob:D1': 'low', 'rob:overall': 'low' },
    'the export downloaded from the library carries the consensus')
})
