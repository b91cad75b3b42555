/**
 * Setting a password from an administrator's link, and the task panel
 * resyncing after its WebSocket is lost and comes back.
 */
import t from 'tap'
import type { WebSocketRoute } from 'playwright-core'
import { fileUpload, waitFor } from '../helper.ts'
import { apiAs, expectAccessible, launchBrowser, needsApp, screenshotsAtEnd, signedInContext, startReviewService, toCsv, labelledRecords } from './support.ts'

t.test('a new user sets a password from a link; a lost WebSocket reconnects and the task panel resyncs', { skip: needsApp }, async (t) => {
  const service = await startReviewService(t)
  const api = apiAs(service)
  const browser = await launchBrowser(t)
  const pages = screenshotsAtEnd(t, 'account')

  // The password link an administrator creates for a new user.
  const bob = await api('POST', '/api/users', { email: 'bob@example.org', name: 'Bob' })
  const link = await api('POST', `/api/users/${bob.user?.id ?? bob.id}/password-link`)
  const { pathname, hash } = new URL(link.url)
  t.equal(pathname, '/set-password')
  const context = await browser.newContext({ baseURL: service.url })
  const page = await context.newPage()
  pages.push(page)
  await page.goto(`${pathname}${hash}`)
  await page.getByText('Account: bob@example.org').waitFor()
  await expectAccessible(t, page, 'set-password')
  await page.getByLabel('New password').fill('bob chooses a long password')
  await page.getByLabel('Repeat the password').fill('bob chooses another one')
  await page.getByRole('button', { name: 'Set password and sign in' }).click()
  await page.getByText('The two passwords differ.').waitFor()
  await page.getByLabel('Repeat the password').fill('bob chooses a long password')
  await page.getByRole('button', { name: 'Set password and sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  t.equal(new URL(page.url()).pathname, '/', 'signed in, on the projects')
  t.notMatch(page.url(), /token/, 'the token is gone from the address')
  const login = await fetch(`${service.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bob@example.org', password: 'bob chooses a long password' }) })
  t.equal(login.status, 200, 'the new password signs in')
  const again = await context.newPage()
  await again.goto(`${pathname}${hash}`)
  await again.getByText('This link is invalid or has expired').waitFor()
  t.pass('the link works once')
  await context.close()

  // The WebSocket goes through a route the test can cut: while cut, new connections are closed at once.
  const project = await api('POST', '/api/projects/', { name: 'Reconnect' })
  const admin = await signedInContext(browser, service, service.admin)
  let online = true
  const open: WebSocketRoute[] = []
  await admin.routeWebSocket(/\/api\/ws$/, (ws) => {
    if (!online) return void ws.close({ code: 4000, reason: 'cut by the test' })
    ws.connectToServer()
    open.push(ws)
  })
  const tasks = await admin.newPage()
  pages.push(tasks)
  await tasks.goto(`/projects/${project.id}/tasks`)
  await tasks.getByText('Live updates', { exact: true }).waitFor()
  await tasks.getByText('No task yet.').waitFor()
  online = false
  for (const ws of open.splice(0)) await ws.close({ code: 4000, reason: 'cut by the test' })
  await tasks.getByText('Live updates lost: reconnecting…').waitFor()

  // A task starts and finishes while the page is offline: its events are lost.
  const { records } = await labelledRecords()
  const upload = fileUpload('records.csv', toCsv(records.slice(0, 10)))
  const task = (await service.app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...service.admin.auth, ...upload.headers }, payload: upload.payload })).json()
  await waitFor(async () => (await api('GET', `/api/tasks/${task.id}`)).status === 'succeeded', 30000)
  t.equal(await tasks.getByText('No task yet.').count(), 1, 'the panel missed the task while offline')

  online = true
  await tasks.getByText('Live updates', { exact: true }).waitFor({ timeout: 40000 })
  await tasks.getByRole('cell', { name: 'succeeded' }).waitFor()
  t.pass('after reconnecting, the panel shows the task finished while offline')
})
