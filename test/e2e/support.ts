/**
 * The browser-test harness (test/e2e/*.test.ts): the real service on a free
 * loopback port with the suite's PostgreSQL (a fresh database per file) and
 * in-process jobs, users with passwords, and Debian's chromium driven by
 * playwright-core (no browser download). Screenshots go to
 * test-artifacts/screenshots/. Without chromium the tests skip with a
 * "needs" reason, which CI counts as a failure (test/support/skips.ts).
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { parse } from 'csv-parse/sync'
import type { Test as TapTest } from 'tap'
import { build, DATASETS, needsServices, userWithToken } from '../helper.ts'
import { hashPassword } from '../../src/auth/passwords.ts'
import { users } from '../../src/db/schema.ts'
import { needs } from '../support/skips.ts'

type Test = { teardown(fn: () => unknown): void }

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** The skip reason of a browser test, or false when it can run. */
export const needsBrowser = needsServices || (existsSync(CHROMIUM) ? false : needs('chromium', 'apt-get install chromium (or set CHROMIUM_PATH)'))
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-artifacts/screenshots')

export interface Service { app: FastifyInstance; origin: string }

/** The service listening on a free port; `env` adds configuration (e.g. WEB_DIST_DIR for a fixture build). */
export async function startService(t: Test, env: Record<string, string> = {}): Promise<Service> {
  const app = await build(t, { ALLOW_PRIVATE_DOWNLOADS: 'true', ...env })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return { app, origin: `http://127.0.0.1:${port}` }
}

/** A user with a password (and an API token, for set-up through the API). */
export async function userWithPassword(app: FastifyInstance, email: string, password: string, isAdmin = false) {
  const user = await userWithToken(app, email, isAdmin)
  await app.db.update(users).set({ passwordHash: await hashPassword(password) }).where(eq(users.id, user.user.id))
  return { ...user, email, password }
}

/** Chromium, headless, with a fresh profile; closed at teardown. */
export async function launchBrowser(t: Test): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS })
  t.teardown(() => browser.close())
  return browser
}

/** Signs a page's browser context in through the API (sets the session cookie), for tests not about the sign-in screen. */
export async function signIn(page: Page, origin: string, email: string, password: string): Promise<void> {
  const res = await page.context().request.post(`${origin}/api/auth/login`, { data: { email, password } })
  if (!res.ok()) throw new Error(`sign-in failed: ${res.status()} ${await res.text()}`)
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true })
  const file = path.join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/**
 * Records the Content-Security-Policy violations of a page: the
 * `securitypolicyviolation` events of every document it loads, and the
 * console errors chromium writes for them. Call before navigating.
 */
export async function watchCsp(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = []
  page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) console.push(m.text()) })
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { __cspViolations: string[] }).__cspViolations = seen
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  return async () => [...console, ...await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])]
}

const ROOT = path.resolve(import.meta.dirname, '../..')
/** The application's tests also need its build (`npm run build:web`, run by `npm ci`). */
export const needsApp = needsBrowser || (existsSync(path.join(ROOT, 'web/dist/index.html')) ? false : needs('the built web application', 'npm run build:web'))

export interface ReviewService { app: FastifyInstance; url: string; admin: Awaited<ReturnType<typeof userWithPassword>> }

/** The service with an administrator who has a password. */
export async function startReviewService(t: Test, env: Record<string, string> = {}): Promise<ReviewService> {
  const { app, origin } = await startService(t, env)
  const admin = await userWithPassword(app, 'admin@example.org', 'a long enough password', true)
  return { app, url: origin, admin }
}

/** A browser context signed in as `user` (the session cookie, set through the API). */
export async function signedInContext(browser: Browser, service: ReviewService, user: { email: string; password: string }): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: service.url, acceptDownloads: true })
  const page = await context.newPage()
  await signIn(page, service.url, user.email, user.password)
  await page.close()
  return context
}

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js')

/** axe-core's serious and critical violations on the page (injected through the debugger protocol, so the CSP does not block it). */
export async function axeViolations(page: Page): Promise<Array<{ id: string; impact: string; help: string; targets: string[] }>> {
  await page.evaluate(await readFile(AXE, 'utf8'))
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }))
  })
}

export async function expectAccessible(t: TapTest, page: Page, screen: string): Promise<void> {
  await screenshot(page, screen)
  t.same(await axeViolations(page), [], `${screen}: no serious or critical axe-core violation`)
}

/** Saves a screenshot of each page when the test ends (the state a failure left). */
export function screenshotsAtEnd(t: Test, name: string): Page[] {
  const pages: Page[] = []
  t.teardown(async () => { for (const [i, page] of pages.entries()) await screenshot(page, `${name}-end-${i}`).catch(() => undefined) })
  return pages
}

/** The service's API with a bearer token (JSON in, JSON out). */
export function apiAs(service: ReviewService, token = service.admin.token) {
  return async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${service.url}${url}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined
    })
    return response.json()
  }
}

type Row = Record<string, string>
const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`
export const toCsv = (rows: Row[]) => ['title,authors,abstract,year,pmid', ...rows.map((r) => [r.title, r.authors, r.abstract, r.year, r.pubmedID].map(csvCell).join(',')), ''].join('\n')

/** 40 included and 60 excluded records of a labelled review (Cohen 2006, ADHD), mixed. */
export async function labelledRecords(): Promise<{ records: Row[]; included: Set<string> }> {
  const rows: Row[] = parse(await readFile(path.join(DATASETS, 'screening/Cohen_2006/ADHD.csv')), { columns: true })
  const records = [...rows.filter((r) => r.label_abstract_screening === '1').slice(0, 40), ...rows.filter((r) => r.label_abstract_screening === '0').slice(0, 60)]
    .sort((a, b) => Number(a.pubmedID) % 7 - Number(b.pubmedID) % 7)
  return { records, included: new Set(records.filter((r) => r.label_abstract_screening === '1').map((r) => r.title)) }
}

/** What a review's browser test starts from: the service, chromium, the labelled records. */
export async function reviewSetUp(t: Test, name: string, env: Record<string, string> = {}) {
  const service = await startReviewService(t, env)
  const browser = await launchBrowser(t)
  const pages = screenshotsAtEnd(t, name)
  return { service, browser, pages, api: apiAs(service), ...await labelledRecords() }
}
