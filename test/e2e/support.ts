/**
 * Browser tests' harness: the service on a free port (test PostgreSQL,
 * in-process jobs) serving the built web application, and Debian's chromium
 * driven by playwright-core. Screenshots go to test-artifacts/screenshots/.
 */
import fs from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { FastifyInstance } from 'fastify'
import { parse } from 'csv-parse/sync'
import type { Test as TapTest } from 'tap'
import { buildServer } from '../../src/server.ts'
import { needs } from '../support/skips.ts'
import { DATASETS, freePort, testConfig, userWithToken, needsServices } from '../helper.ts'

type Test = Parameters<typeof testConfig>[0]

export const CHROMIUM = '/usr/bin/chromium'
const ROOT = path.resolve(import.meta.dirname, '../..')
const WEB_DIST = path.join(ROOT, 'web/dist')
export const SCREENSHOTS = path.join(ROOT, 'test-artifacts/screenshots')

export const needsBrowser = needsServices || (fs.existsSync(CHROMIUM) ? false : needs('chromium', 'apt-get install chromium'))
  || (fs.existsSync(path.join(WEB_DIST, 'index.html')) ? false : needs('the built web application', 'npm run build:web'))

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml' }

/** Serves web/dist with the SPA fallback, unless the service already serves it. */
export function serveWeb(app: FastifyInstance): void {
  app.register(async (web) => {
    web.get('/*', async (request, reply) => {
      const url = decodeURIComponent(new URL(request.url, 'http://x').pathname)
      if (url.startsWith('/api/')) return reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `Route GET:${url} not found` })
      const file = path.join(WEB_DIST, path.normalize(url))
      const found = file.startsWith(WEB_DIST) && fs.existsSync(file) && fs.statSync(file).isFile()
      const target = found ? file : path.join(WEB_DIST, 'index.html')
      return reply.type(TYPES[path.extname(target)] ?? 'application/octet-stream').send(await readFile(target))
    })
  })
}

export interface Service { app: FastifyInstance; url: string; admin: Awaited<ReturnType<typeof userWithToken>> }

export async function startService(t: Test): Promise<Service> {
  const port = await freePort()
  const config = await testConfig(t, { HOST: '127.0.0.1', PORT: String(port) })
  const app = buildServer(config)
  serveWeb(app)
  t.teardown(() => app.close())
  await app.listen({ port, host: '127.0.0.1' })
  const admin = await userWithToken(app, 'admin@example.org', true)
  return { app, url: `http://127.0.0.1:${port}`, admin }
}

/** Chromium with a fresh user-data-dir (playwright makes a temporary one per launch). */
export async function launchBrowser(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  return browser
}

/**
 * A browser context signed in as the user of `token`. Until password sign-in
 * is merged, the bearer token rides on every request of the context (never in
 * the page's storage).
 */
export async function signedInContext(browser: Browser, service: Service, token: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL: service.url, acceptDownloads: true, extraHTTPHeaders: { authorization: `Bearer ${token}` } })
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
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
export function apiAs(service: Service, token = service.admin.token) {
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
