/**
 * Screening in the browser: 20 records with the keyboard alone, the queue
 * following the retrained model, then blind dual screening with a second
 * reviewer in another browser context and the owner resolving the conflict.
 */
import t from 'tap'
import { fileUpload, waitFor } from '../helper.ts'
import { expectAccessible, needsApp, reviewSetUp, signedInContext, toCsv, userWithPassword } from './support.ts'

const NAME = 'screening'

t.test('screening with the keyboard, dual screening and conflicts in the browser', { skip: needsApp }, async (t) => {
  const { service, browser, pages, api, records, included } = await reviewSetUp(t, NAME)
  const project = await api('POST', '/api/projects/', { name: 'ADHD drugs' })
  const projectId: string = project.id
  const upload = fileUpload('records.csv', toCsv(records))
  const task = (await service.app.inject({ method: 'POST', url: `/api/projects/${projectId}/imports`, headers: { ...service.admin.auth, ...upload.headers }, payload: upload.payload })).json()
  await waitFor(async () => (await api('GET', `/api/tasks/${task.id}`)).status === 'succeeded', 30000)
  const admin = await (await signedInContext(browser, service, service.admin)).newPage()
  pages.push(admin)
  await admin.goto(`/projects/${projectId}`)

  // Screen 20 records with the keyboard alone, following the labels.
  const queueOrder = async () => (await api('GET', `/api/projects/${projectId}/screening/records?stage=title_abstract&status=awaiting&sort=relevance&pageSize=80`)).items.map((a: { id: string }) => a.id)
  const initial = await queueOrder()
  await admin.getByRole('link', { name: 'Screening' }).click()
  const record = admin.locator('article[data-article-id]')
  await record.waitFor()
  await expectAccessible(t, admin, 'screening')
  for (let i = 0; i < 20; i++) {
    const id = await record.getAttribute('data-article-id')
    const title = (await admin.locator('.record-title').textContent()) ?? ''
    await admin.keyboard.press(included.has(title) ? 'i' : 'e')
    await waitFor(async () => (await record.getAttribute('data-article-id')) !== id, 5000)
  }
  const stats = await waitFor(async () => {
    const s = await api('GET', `/api/projects/${projectId}/screening/stats?stage=title_abstract`)
    return s.screened === 20 && s.model && s.model.labelled >= 20 && s
  }, 60000)
  t.ok(stats.model, 'the model is trained on the 20 decisions')
  const before = await queueOrder()
  t.ok(before.length > 0, 'records remain to screen')
  // After retraining, the first record on screen is the model's first.
  await admin.reload()
  await record.waitFor()
  t.equal(await record.getAttribute('data-article-id'), before[0], 'the screen follows the model\'s order')
  t.notSame(before.slice(0, 10), initial.filter((id: string) => before.includes(id)).slice(0, 10), 'training changed the order of the records left')
  await admin.getByTestId('knee-chart').waitFor()
  const includedFirst = await api('GET', `/api/projects/${projectId}/screening/records?stage=title_abstract&status=awaiting&sort=relevance&pageSize=10`)
  const top = includedFirst.items.filter((a: { title: string }) => included.has(a.title)).length
  t.ok(top >= 5, `the model puts included records first (${top} of the first 10)`)

  // Dual screening: a second reviewer disagrees on a record; the owner resolves the conflict.
  await api('PATCH', `/api/projects/${projectId}/screening-settings`, { reviewersPerRecord: 2 })
  const bob = await userWithPassword(service.app, 'bob@example.org', 'bob has a long password')
  await admin.getByRole('link', { name: 'Members' }).click()
  await admin.getByLabel('E-mail').fill('bob@example.org')
  await admin.getByRole('button', { name: 'Save' }).click()
  await admin.getByRole('cell', { name: /bob@example.org/ }).waitFor()
  await expectAccessible(t, admin, 'members')
  const decisions = await api('GET', `/api/projects/${projectId}/decisions?stage=title_abstract`)
  const adminDecision = new Map<string, string>(decisions.items?.map((d: { articleId: string; decision: string }) => [d.articleId, d.decision]) ?? decisions.map((d: { articleId: string; decision: string }) => [d.articleId, d.decision]))
  const bobPage = await (await signedInContext(browser, service, bob)).newPage()
  await bobPage.goto(`/projects/${projectId}/screening`)
  const bobRecord = bobPage.locator('article[data-article-id]')
  await bobRecord.waitFor()
  let disagreed = false
  for (let i = 0; i < 40 && !disagreed; i++) {
    const id = (await bobRecord.getAttribute('data-article-id'))!
    const theirs = adminDecision.get(id)
    disagreed = theirs !== undefined
    await bobPage.keyboard.press(theirs === 'include' ? 'e' : 'i')
    await waitFor(async () => (await bobRecord.getAttribute('data-article-id')) !== id, 5000)
  }
  t.ok(disagreed, 'the second reviewer disagreed on one record')
  await admin.getByRole('link', { name: 'Conflicts' }).click()
  const conflict = admin.locator('li[data-article-id]').first()
  await conflict.waitFor()
  await expectAccessible(t, admin, 'conflicts')
  await conflict.getByRole('button', { name: 'Include' }).click()
  await admin.getByText('No conflict to resolve.').waitFor()
})
