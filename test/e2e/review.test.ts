/**
 * A review in the browser, end to end: create a project, import two
 * overlapping files and watch their progress, confirm a duplicate cluster,
 * screen 20 records with the keyboard alone and see the model reorder the
 * queue, dual-screen with a second reviewer in another browser context and
 * resolve the conflict, export and download. axe-core checks each main
 * screen; screenshots go to test-artifacts/screenshots/.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { DATASETS, tempDir, userWithToken, waitFor } from '../helper.ts'
import { axeViolations, launchBrowser, needsBrowser, screenshot, signedInContext, startService } from './support.ts'

type Row = Record<string, string>
const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`
const toCsv = (rows: Row[]) => ['title,authors,abstract,year,pmid', ...rows.map((r) => [r.title, r.authors, r.abstract, r.year, r.pubmedID].map(csvCell).join(','))].join('\n')

async function expectAccessible(t: Test, page: Page, screen: string) {
  await screenshot(page, screen)
  t.same(await axeViolations(page), [], `${screen}: no serious or critical axe-core violation`)
}

t.test('a review in the browser', { skip: needsBrowser, timeout: 240000 }, async (t) => {
  const service = await startService(t)
  const browser = await launchBrowser(t)
  const pages: Page[] = []
  t.teardown(async () => { for (const [i, page] of pages.entries()) await screenshot(page, `last-${i}`).catch(() => undefined) })
  const api = async (method: string, url: string, body?: unknown, token = service.admin.token) => {
    const response = await fetch(`${service.url}${url}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined
    })
    return response.json()
  }

  // Two files with 20 records in common: 40 included and 60 excluded records of a labelled review.
  const rows: Row[] = parse(await readFile(path.join(DATASETS, 'screening/Cohen_2006/ADHD.csv')), { columns: true })
  const records = [...rows.filter((r) => r.label_abstract_screening === '1').slice(0, 40), ...rows.filter((r) => r.label_abstract_screening === '0').slice(0, 60)]
    .sort((a, b) => Number(a.pubmedID) % 7 - Number(b.pubmedID) % 7)
  const included = new Set(records.filter((r) => r.label_abstract_screening === '1').map((r) => r.title))
  const dir = await tempDir(t)
  const fileA = path.join(dir, 'first.csv')
  const fileB = path.join(dir, 'second.csv')
  await writeFile(fileA, toCsv(records.slice(0, 60)))
  await writeFile(fileB, toCsv(records.slice(40)))

  const admin = await (await signedInContext(browser, service, service.admin.token)).newPage()
  pages.push(admin)
  await admin.goto('/')
  await admin.getByRole('heading', { name: 'Projects' }).waitFor()
  await expectAccessible(t, admin, 'projects')

  // Create a project.
  await admin.getByRole('button', { name: 'New project' }).click()
  await admin.getByLabel('Name').fill('ADHD drugs')
  await admin.getByLabel('Review question').fill('Which ADHD drug classes are effective?')
  await admin.getByLabel('Population').fill('children with ADHD')
  await admin.getByRole('button', { name: 'Create' }).click()
  await admin.waitForURL(/\/projects\/[0-9a-f-]{36}$/)
  const projectId = admin.url().split('/').pop()!

  // Import both files at once; their progress and results show per file.
  await admin.getByTestId('file-input').setInputFiles([fileA, fileB])
  await admin.locator('.imports > li', { hasText: 'first.csv: csv · 60 records imported, 0 errors' }).waitFor({ timeout: 60000 })
  await admin.locator('.imports > li', { hasText: 'second.csv: csv · 60 records imported, 0 errors' }).waitFor({ timeout: 60000 })
  await admin.getByRole('heading', { name: '100 records' }).waitFor({ timeout: 30000 })
  await expectAccessible(t, admin, 'library')

  // The article detail shows the original record.
  const firstTitle = (await admin.locator('.vbody [role=row] a').first().textContent())!
  await admin.locator('.vbody [role=row] a').first().click()
  await admin.getByRole('heading', { name: 'Original record' }).waitFor()
  const shown = records.find((r) => r.title === firstTitle)!
  t.match(await admin.locator('.original').textContent(), shown.pubmedID, 'the original record is shown')
  await expectAccessible(t, admin, 'article')

  // Duplicates: 20 clusters of two; confirm the first.
  await admin.getByRole('link', { name: 'Duplicates' }).click()
  await admin.getByRole('heading', { name: 'Duplicate clusters (20)' }).waitFor()
  await expectAccessible(t, admin, 'duplicates')
  const confirmed = admin.waitForResponse((r) => r.url().endsWith('/duplicates/confirm'))
  await admin.getByRole('button', { name: 'Confirm duplicates' }).first().click()
  t.equal((await confirmed).status(), 202, 'the confirmation is taken (deduplication runs again)')
  await waitFor(async () => {
    const clusters = await api('GET', `/api/projects/${projectId}/duplicates`)
    return clusters.items.filter((c: { members: Array<{ confirmed: boolean }> }) => c.members.some((m) => m.confirmed)).length === 1
  }, 30000)

  // Screen 20 records with the keyboard alone, following the labels.
  const queueOrder = async () => (await api('GET', `/api/projects/${projectId}/screening/records?stage=title_abstract&status=awaiting&sort=relevance&pageSize=80`)).items.map((a: { id: string }) => a.id)
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
  const includedFirst = await api('GET', `/api/projects/${projectId}/screening/records?stage=title_abstract&status=awaiting&sort=relevance&pageSize=10`)
  const top = includedFirst.items.filter((a: { title: string }) => included.has(a.title)).length
  t.ok(top >= 5, `the model puts included records first (${top} of the first 10)`)

  // Dual screening: a second reviewer disagrees on a record; the owner resolves the conflict.
  await api('PATCH', `/api/projects/${projectId}/screening-settings`, { reviewersPerRecord: 2 })
  const bob = await userWithToken(service.app, 'bob@example.org')
  await admin.getByRole('link', { name: 'Members' }).click()
  await admin.getByLabel('E-mail').fill('bob@example.org')
  await admin.getByRole('button', { name: 'Save' }).click()
  await admin.getByRole('cell', { name: /bob@example.org/ }).waitFor()
  await expectAccessible(t, admin, 'members')
  const decisions = await api('GET', `/api/projects/${projectId}/decisions?stage=title_abstract`)
  const adminDecision = new Map<string, string>(decisions.items?.map((d: { articleId: string; decision: string }) => [d.articleId, d.decision]) ?? decisions.map((d: { articleId: string; decision: string }) => [d.articleId, d.decision]))
  const bobPage = await (await signedInContext(browser, service, bob.token)).newPage()
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

  // Tasks, then export and download.
  await admin.getByRole('link', { name: 'Tasks' }).click()
  await admin.getByRole('cell', { name: 'succeeded' }).first().waitFor()
  await expectAccessible(t, admin, 'tasks')
  await admin.getByRole('link', { name: 'Library' }).click()
  const download = admin.waitForEvent('download')
  await admin.getByRole('link', { name: 'Download' }).click()
  const file = await readFile((await (await download).path())!, 'utf8')
  t.match(file, /^TY {2}- /m, 'the RIS export downloads')
  t.equal(file.match(/^TY {2}- /gm)?.length, 100, 'with every record')
})
