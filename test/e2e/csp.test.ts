import t from 'tap'
import path from 'node:path'
import { launchBrowser, needsBrowser, screenshot, signIn, startService, userWithPassword, watchCsp } from './support.ts'

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/dist')

t.test('the web application loads under the CSP without a violation', { skip: needsBrowser }, async (t) => {
  const { app, origin } = await startService(t, { WEB_DIST_DIR: FIXTURE })
  await userWithPassword(app, 'admin@review.org', 'a long enough password', true)
  const browser = await launchBrowser(t)
  const page = await (await browser.newContext()).newPage()
  const violations = await watchCsp(page)

  await signIn(page, origin, 'admin@review.org', 'a long enough password')
  const response = await page.goto(`${origin}/projects/any/screening`)
  t.equal(response?.status(), 200, 'an SPA path gets index.html')
  await page.waitForFunction(() => document.getElementById('root')?.textContent?.startsWith('ready'))
  t.equal(await page.textContent('#root'), 'ready: me 200, socket open', 'the API by cookie and the WebSocket from the own origin')
  t.equal(await page.$eval('#root', (e) => getComputedStyle(e).color), 'rgb(0, 80, 0)', 'stylesheet and CSSOM styles applied')
  t.same(await violations(), [], 'no CSP violation')
  await screenshot(page, 'csp-fixture')

  // The control: the same watcher sees the violations of a page with an inline script and style attribute.
  const control = await (await browser.newContext()).newPage()
  const controlViolations = await watchCsp(control)
  await control.goto(`${origin}/inline.html`)
  t.equal(await control.textContent('#out'), 'static', 'the inline script was blocked')
  const seen = await controlViolations()
  t.ok(seen.some((v) => /script-src/.test(v)), `inline script reported: ${seen.join(' | ')}`)
  t.ok(seen.some((v) => /style-src/.test(v)), 'inline style attribute reported')
})
