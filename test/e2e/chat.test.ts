/**
 * The Chat tab in the browser: a question about an indexed full text, the
 * answer with its cited passage (article and page) and the flag for a
 * citation the model was not given; the conversation is listed, and
 * axe-core runs on the screen.
 */
import { createHash } from 'node:crypto'
import { eq } from 'drizzle-orm'
import t from 'tap'
import { articles, files } from '../../src/db/schema.ts'
import { storeExtraction } from '../../src/services/fulltext-text.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { waitFor } from '../helper.ts'
import { apiAs, expectAccessible, launchBrowser, needsApp, screenshotsAtEnd, signedInContext, startReviewService } from './support.ts'

t.test('chat over the full texts in the browser', { skip: needsApp }, async (t) => {
  const ollama = await startFakeOllama({
    models: ['nomic-embed-text', 'llama3:8b'],
    answer: ({ prompt }) => `Measured with the Working Alliance Inventory [${/^\[(\d+)\]/m.exec(prompt)?.[1]}], as elsewhere [424242].`
  })
  t.teardown(() => ollama.close())
  const service = await startReviewService(t, { OLLAMA_BASE_URL: ollama.baseUrl, RAG_EMBEDDING_MODEL: 'nomic-embed-text', RAG_CHAT_MODEL: 'llama3:8b' })
  const browser = await launchBrowser(t)
  const pages = screenshotsAtEnd(t, 'chat')
  const api = apiAs(service)
  const project = await api('POST', '/api/projects/', { name: 'Alliance chat' })
  const db = service.app.db
  const [article] = await db.insert(articles).values({ projectId: project.id, title: 'Chatbot alliance trial', sourceIndex: 0 }).returning()
  const [file] = await db.insert(files).values({
    projectId: project.id, storagePath: 'x.pdf', originalName: 'x.pdf', contentType: 'application/pdf', size: 1, sha256: createHash('sha256').update('x').digest('hex')
  }).returning()
  await storeExtraction(db, project.id, file.id, {
    ok: true,
    text: {
      pages: [{ number: 1, text: 'Introduction about digital tools.' }, { number: 2, text: 'The working alliance was measured with the Working Alliance Inventory at week four.' }],
      sections: [], metadata: { pageCount: 2, encrypted: false, ocrPages: [] }
    }
  })
  await db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, article.id))

  const page = await (await signedInContext(browser, service, service.admin)).newPage()
  pages.push(page)
  await page.goto(`/projects/${project.id}`)
  await page.getByRole('link', { name: 'Chat', exact: true }).click()
  await page.getByText('No conversation yet.').waitFor()
  await page.getByRole('button', { name: 'Index 1 full texts' }).click()
  await waitFor(async () => (await api('GET', `/api/projects/${project.id}/fulltext/index`)).pending === 0, 30000)

  await page.getByLabel('Your question').fill('How was the working alliance measured?')
  await page.getByRole('button', { name: 'Ask' }).click()
  const answer = page.locator('.chat-message.assistant')
  await answer.waitFor()
  t.match(await answer.locator('.chat-content').textContent(), /Working Alliance Inventory/)
  const citation = answer.locator('.chat-citations li')
  t.equal(await citation.count(), 1, 'one verified citation')
  t.match(await citation.textContent(), /Chatbot alliance trial, page 2/)
  t.equal(await citation.getByRole('link', { name: 'Chatbot alliance trial' }).getAttribute('href'), `/projects/${project.id}/articles/${article.id}`)
  t.match(await answer.getByRole('note').textContent(), /424242/, 'the citation that was not given is flagged')
  await page.getByRole('navigation', { name: 'Conversations' }).getByRole('button', { name: 'How was the working alliance measured?' }).waitFor()
  await expectAccessible(t, page, 'chat')
})
