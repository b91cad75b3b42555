/**
 * The search screen in the browser against a local stand-in for PubMed: the
 * databases and their status, a simple search run as a task with progress,
 * the PRISMA-S log, and records added by identifier.
 */
import t from 'tap'
import { waitFor } from '../helper.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'
import { apiAs, expectAccessible, launchBrowser, needsApp, screenshotsAtEnd, signedInContext, startService, userWithPassword } from './support.ts'

t.test('searching PubMed, the search log and identifier lookup in the browser', { skip: needsApp }, async (t) => {
  const corpus = makeCorpus(30)
  // PubMed's stand-in finds the first 12 papers for any query; the others only by identifier.
  const pubmed = await startPubMedServer(corpus, { match: (_query, paper) => paper.n < 12 })
  t.teardown(() => pubmed.close())
  const { app, origin } = await startService(t, { CONTACT_EMAIL: 'team@example.org', PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl })
  const admin = await userWithPassword(app, 'admin@example.org', 'a long enough password', true)
  const service = { app, url: origin, admin }
  const api = apiAs(service)
  const browser = await launchBrowser(t)
  const pages = screenshotsAtEnd(t, 'search')
  const project = await api('POST', '/api/projects/', { name: 'Digital alliance' })
  const page = await (await signedInContext(browser, service, admin)).newPage()
  pages.push(page)
  await page.goto(`/projects/${project.id}`)
  await page.getByRole('link', { name: 'Search' }).click()

  const pubmedRow = page.getByRole('row', { name: /PubMed/ }).first()
  await pubmedRow.getByText('Ready').waitFor()
  t.match(await page.getByRole('row', { name: /Unpaywall/ }).textContent(), /Ready/, 'Unpaywall is ready with CONTACT_EMAIL')
  await page.getByText('No search yet.').waitFor()

  await page.getByLabel('Query', { exact: true }).fill('therapeutic alliance AND chatbot')
  await page.getByRole('checkbox', { name: 'PubMed' }).check()
  await page.getByRole('button', { name: 'Run the search' }).click()
  await page.locator('[data-task-status="succeeded"]').waitFor({ timeout: 30000 })
  const log = page.locator('table.search-log tbody tr')
  await log.first().waitFor()
  const cells = await log.first().locator('td').allTextContents()
  t.equal(cells[0], 'PubMed')
  t.match(cells[1], /therapeutic alliance AND chatbot/, 'the query as sent')
  t.same(cells.slice(3, 6), ['12', '12', '12'], 'hits, retrieved and new records')
  const articles = await api('GET', `/api/projects/${project.id}/articles?pageSize=100`)
  t.equal(articles.total, 12, 'the records are in the project')
  await expectAccessible(t, page, 'search')

  // Identifiers: one already in the project, two new ones.
  await page.getByLabel(/PMIDs, DOIs, PMCIDs or arXiv ids/).fill(`${corpus[0].pmid}\n${corpus[20].pmid}, ${corpus[21].pmid}`)
  await page.getByText('3 PMIDs, 0 DOIs').waitFor()
  await page.getByRole('button', { name: 'Look up and add' }).click()
  await waitFor(async () => (await page.locator('[data-task-status="succeeded"]').count()) === 2, 30000)
  const after = await api('GET', `/api/projects/${project.id}/articles?pageSize=100`)
  t.equal(after.total, 14, 'two records added by PMID, the known one not again')
  t.ok(after.items.some((a: { pmid: string }) => a.pmid === corpus[21].pmid))

  // The PRISMA counts follow the search; the settings screens pass axe-core too.
  await page.getByRole('link', { name: 'PRISMA' }).click()
  const pubmedCount = page.getByRole('row', { name: /Records from PubMed \(search\)/ })
  t.match(await pubmedCount.textContent(), /12/, 'PRISMA: the records identified in PubMed')
  await expectAccessible(t, page, 'prisma')
  await page.getByRole('navigation', { name: 'Digital alliance' }).getByRole('link', { name: 'Settings' }).click()
  await page.getByLabel('Exclusion reasons').fill('wrong population\nwrong design')
  await page.getByLabel('Include words').fill('alliance, chatbot')
  await page.getByRole('button', { name: 'Save' }).nth(1).click()
  await page.getByText('Saved.').waitFor()
  const settings = await api('GET', `/api/projects/${project.id}/screening-settings`)
  t.same([settings.exclusionReasons, settings.highlightInclude], [['wrong population', 'wrong design'], ['alliance', 'chatbot']], 'project settings saved')
  await expectAccessible(t, page, 'project-settings')
  await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Settings' }).click()
  await page.getByRole('heading', { name: 'Prompt templates' }).waitFor()
  await page.locator('textarea.mono').first().waitFor()
  await expectAccessible(t, page, 'settings')

  // French: the screen's strings follow the language.
  await page.getByLabel('Language').selectOption('fr')
  await page.getByRole('heading', { name: 'Paramètres' }).waitFor()
})
