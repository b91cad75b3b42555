/**
 * The reporting screens in the browser: a meta-analysis from typed rows with
 * its result and forest plot, the PRISMA diagram and a checklist item saved,
 * an APA bibliography previewed, the concept graph enriched by a local LLM
 * (the Ollama stand-in) with its flagged concept shown, and axe-core on the
 * three screens.
 */
import t from 'tap'
import type { Locator } from 'playwright-core'
import { fileUpload, waitFor } from '../helper.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { expectAccessible, needsApp, reviewSetUp, signedInContext, toCsv } from './support.ts'

/** Whether an <img> finished loading a picture (not a broken image). */
const imageLoaded = async (img: Locator) => {
  await img.waitFor()
  return waitFor(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), 15000).then(() => true, () => false)
}

// BCG trials 1–4 (dat.bcg): events and totals of the vaccinated and control arms.
const BCG = [['Aronson 1948', 4, 123, 11, 139], ['Ferguson 1949', 6, 306, 29, 303], ['Rosenthal 1960', 3, 231, 11, 220], ['Hart 1977', 62, 13598, 248, 12867]] as const

t.test('meta-analysis, PRISMA diagram and checklist, bibliography in the browser', { skip: needsApp }, async (t) => {
  // The model names each study's first two title words as concepts (quoted from the title) and one concept it cannot quote.
  const ollama = await startFakeOllama({
    models: ['llama3:8b'],
    answer: ({ prompt }) => {
      const words = /Title and abstract:\n(.+)/.exec(prompt)?.[1].match(/\p{L}{4,}/gu)
      if (!words) return undefined
      return JSON.stringify({ concepts: [...words.slice(0, 2).map((w) => ({ concept: w, quote: w })), { concept: 'Invented notion', quote: 'a sentence found nowhere' }] })
    }
  })
  t.teardown(() => ollama.close())
  const { service, browser, pages, api, records } = await reviewSetUp(t, 'synthesis', { OLLAMA_BASE_URL: ollama.baseUrl })
  const project = await api('POST', '/api/projects/', { name: 'ADHD drugs' })
  const projectId: string = project.id
  const upload = fileUpload('records.csv', toCsv(records.slice(0, 5)))
  const task = (await service.app.inject({ method: 'POST', url: `/api/projects/${projectId}/imports`, headers: { ...service.admin.auth, ...upload.headers }, payload: upload.payload })).json()
  await waitFor(async () => (await api('GET', `/api/tasks/${task.id}`)).status === 'succeeded', 30000)
  const imported = (await api('GET', `/api/projects/${projectId}/articles?pageSize=10`)).items as Array<{ id: string }>
  for (const a of imported.slice(0, 2)) await api('POST', `/api/projects/${projectId}/articles/${a.id}/decisions`, { decision: 'include', stage: 'title_abstract' })
  const page = await (await signedInContext(browser, service, service.admin)).newPage()
  pages.push(page)
  await page.goto(`/projects/${projectId}`)

  // A meta-analysis of four typed rows: its result and forest plot.
  await page.getByRole('link', { name: 'Synthesis' }).click()
  await page.getByText('No meta-analysis yet.').waitFor()
  await page.getByLabel('Name', { exact: true }).fill('BCG vaccine')
  await page.getByLabel('Model').selectOption('DL')
  await page.getByRole('button', { name: 'Add a row' }).click()
  for (const [i, row] of BCG.entries()) {
    for (const [j, column] of ['label', 'events1', 'total1', 'events2', 'total2'].entries()) {
      await page.getByLabel(`${column}, row ${i + 1}`, { exact: true }).fill(String(row[j === 0 ? 0 : j]))
    }
  }
  await page.getByRole('button', { name: 'Run and save' }).click()
  const result = page.locator('table.analysis-result')
  await result.waitFor()
  t.match(await result.textContent(), /OR, DL, 4 studies, 95% confidence/, 'the result names measure, model and k')
  const stored = await api('GET', `/api/projects/${projectId}/analyses`)
  t.equal(stored.length, 1, 'one analysis stored')
  t.equal(stored[0].k, 4)
  const or = Math.exp(stored[0].estimate).toFixed(3)
  t.match(await result.getByRole('row', { name: /Pooled estimate/ }).textContent(), or, 'the pooled odds ratio shown as a ratio')
  t.match(await page.locator('tbody tr', { hasText: 'OR · DL' }).textContent(), or, 'the list shows the same ratio')
  t.ok(await imageLoaded(page.getByRole('img', { name: 'Forest plot of BCG vaccine' })), 'the forest plot loads')
  t.ok(await imageLoaded(page.getByRole('img', { name: /Bar chart of the records/ })), 'the statistics chart loads')

  // The concept graph enriched by the model: the run's provenance, its flagged concept, and concepts in the pairs.
  await page.getByLabel('LLM (Ollama)').first().fill('llama3:8b')
  await page.getByRole('button', { name: 'Find the concepts of the included studies (LLM)' }).click()
  await page.getByText(/Latest LLM concept run: llama3:8b .* 2 studies read/).waitFor({ timeout: 30000 })
  t.equal(await page.locator('tr[data-flag="unquoted"]', { hasText: 'Invented notion' }).count(), 2, 'the concept quoted from nowhere is listed as flagged, per study')
  t.ok(await page.getByLabel('Add the concepts a local LLM found in the included studies').isChecked(), 'the graph shows the LLM concepts')
  await page.locator('td', { hasText: '(LLM)' }).first().waitFor({ timeout: 15000 })
  const graph = await api('GET', `/api/projects/${projectId}/concepts?set=all&llm=true`)
  t.equal(graph.nodes.filter((n: { kind: string }) => n.kind === 'llm-concept').length >= 1, true, 'concept nodes in the graph')
  t.notOk(graph.nodes.some((n: { label: string }) => n.label === 'Invented notion'), 'the flagged concept is not a node')
  await expectAccessible(t, page, 'synthesis')

  // The PRISMA diagram, and one checklist item saved.
  await page.getByRole('link', { name: 'PRISMA' }).click()
  t.ok(await imageLoaded(page.getByRole('img', { name: 'PRISMA 2020 flow diagram of the project' })), 'the PRISMA diagram loads')
  await page.getByLabel('Status of item 7').selectOption('reported')
  await page.getByLabel('Location of item 7').fill('Appendix 2')
  await page.getByRole('button', { name: 'Save the checklist' }).click()
  await page.locator('.checklist [role=status]').waitFor()
  const checklist = await api('GET', `/api/projects/${projectId}/checklists/prisma-2020`)
  const item = checklist.items.find((i: { id: string }) => i.id === '7')
  t.same([item.status, item.location], ['reported', 'Appendix 2'], 'checklist item 7 saved')
  await expectAccessible(t, page, 'prisma-report')
  // An owner's hand-entered count, with its note.
  const notRetrieved = page.getByRole('group', { name: 'Reports not retrieved' })
  await notRetrieved.getByLabel('Count').fill('2')
  await notRetrieved.getByLabel('Note').fill('requested from the authors')
  await page.getByRole('button', { name: 'Save', exact: true }).click()
  await waitFor(async () => (await api('GET', `/api/projects/${projectId}/prisma/overrides`)).notRetrieved, 10000)
  t.same((await api('GET', `/api/projects/${projectId}/prisma/overrides`)).notRetrieved, { n: 2, note: 'requested from the authors' }, 'override saved with its note')

  // An APA bibliography of all records, previewed as text.
  await page.getByRole('link', { name: 'Report' }).click()
  await page.getByLabel('Records').selectOption('all')
  await page.getByRole('button', { name: 'Preview' }).click()
  const preview = page.getByLabel('Bibliography preview')
  await preview.waitFor()
  const text = (await preview.textContent()) ?? ''
  t.equal(text.trim().split('\n').length, 5, 'one reference a line for the five records')
  t.match(text, /\(\d{4}\)\./, 'APA: the year in parentheses after the authors')
  await page.getByLabel('Format').selectOption('html')
  await page.getByRole('button', { name: 'Preview' }).click()
  await page.frameLocator('iframe.bib-preview').locator('.csl-entry').first().waitFor()
  t.equal(await page.frameLocator('iframe.bib-preview').locator('.csl-entry').count(), 5, 'the HTML bibliography in a sandboxed frame')
  await expectAccessible(t, page, 'report')
})
