/**
 * The library in the browser: create a project, import two overlapping files
 * at once and watch their progress, read an article with its original record,
 * confirm a duplicate cluster, follow the tasks, export. axe-core checks each
 * screen; screenshots go to test-artifacts/screenshots/.
 */
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { tempDir, waitFor } from '../helper.ts'
import { expectAccessible, needsApp, reviewSetUp, toCsv, watchCsp } from './support.ts'

const NAME = 'library'

t.test('projects, imports, duplicates and export in the browser', { skip: needsApp }, async (t) => {
  const { service, browser, pages, api, records, included } = await reviewSetUp(t, NAME)
  // Two files with 20 records in common.
  const dir = await tempDir(t)
  const fileA = path.join(dir, 'first.csv')
  const fileB = path.join(dir, 'second.csv')
  await writeFile(fileA, toCsv(records.slice(0, 60)))
  await writeFile(fileB, toCsv(records.slice(40)))
  t.equal(included.size, 40)

  // Sign in through the sign-in screen (a wrong password first), in French, then back to English.
  const admin = await (await browser.newContext({ baseURL: service.url, acceptDownloads: true })).newPage()
  pages.push(admin)
  const cspViolations = await watchCsp(admin)
  await admin.goto('/')
  await admin.getByRole('heading', { name: 'Sign in' }).waitFor()
  await expectAccessible(t, admin, 'signin')
  await admin.getByLabel('Language').selectOption('fr')
  await admin.getByLabel('Adresse e-mail').fill(service.admin.email)
  await admin.getByLabel('Mot de passe').fill('not the password')
  await admin.getByRole('button', { name: 'Se connecter' }).click()
  await admin.getByRole('alert').waitFor()
  await admin.getByLabel('Langue').selectOption('en')
  await admin.getByLabel('Password').fill(service.admin.password)
  await admin.getByRole('button', { name: 'Sign in' }).click()
  await admin.getByRole('heading', { name: 'Projects' }).waitFor()
  t.notOk(await admin.evaluate(() => document.cookie.includes('analylit_session')), 'the session cookie is out of the page\'s reach')
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
  const download = admin.waitForEvent('download')
  await admin.getByRole('link', { name: 'Download' }).click()
  const file = await readFile((await (await download).path())!, 'utf8')
  t.match(file, /^TY {2}- /m, 'the RIS export downloads')
  t.equal(file.match(/^TY {2}- /gm)?.length, 100, 'with every record')

  t.same(await cspViolations(), [], 'no Content-Security-Policy violation on any screen')
  await admin.getByRole('button', { name: 'Sign out' }).click()
  await admin.getByRole('heading', { name: 'Sign in' }).waitFor()
  t.equal((await admin.request.get('/api/me')).status(), 401, 'signed out: the session is gone')
})
