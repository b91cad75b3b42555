/**
 * The library in the browser: create a project, import two overlapping files
 * at once and watch their progress, read an article with its original record,
 * confirm a duplicate cluster, follow the tasks, export. axe-core checks each
 * screen; screenshots go to test-artifacts/screenshots/.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { tempDir, waitFor } from '../helper.ts'
import { apiAs, expectAccessible, labelledRecords, launchBrowser, needsBrowser, screenshotsAtEnd, signedInContext, startService, toCsv } from './support.ts'

const NAME = 'library'

t.test('projects, imports, duplicates and export in the browser', { skip: needsBrowser }, async (t) => {
  const service = await startService(t)
  const browser = await launchBrowser(t)
  const pages = screenshotsAtEnd(t, NAME)
  const api = apiAs(service)
  const { records, included } = await labelledRecords()
  // Two files with 20 records in common.
  const dir = await tempDir(t)
  const fileA = path.join(dir, 'first.csv')
  const fileB = path.join(dir, 'second.csv')
  await writeFile(fileA, toCsv(records.slice(0, 60)))
  await writeFile(fileB, toCsv(records.slice(40)))
  t.equal(included.size, 40)

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

  // Tasks, then export and download.
  await admin.getByRole('link', { name: 'Tasks' }).click()
  await admin.getByRole('cell', { name: 'succeeded' }).first().waitFor()
  await expectAccessible(t, admin, 'tasks')
  await admin.getByRole('link', { name: 'Library' }).click()
  // The link downloads through the browser with the session cookie; with the bearer header of this
  // harness (extra headers do not ride on download navigations) the test fetches the link's target.
  const link = admin.getByRole('link', { name: 'Download' })
  const href = (await link.getAttribute('href'))!
  t.match(href, `/api/projects/${projectId}/export?format=ris`, 'the download link asks for the chosen format')
  const file = await (await admin.request.get(href)).text()
  t.match(file, /^TY {2}- /m, 'the RIS export downloads')
  t.equal(file.match(/^TY {2}- /gm)?.length, 100, 'with every record')
})
