/**
 * The browser-test harness (test/e2e/*.test.ts): the real service on a free
 * loopback port with the suite's PostgreSQL (a fresh database per file) and
 * in-process jobs, users with passwords, and Debian's chromium driven by
 * playwright-core (no browser download). Screenshots go to
 * test-artifacts/screenshots/. Without chromium the tests skip with a
 * "needs" reason, which CI counts as a failure (test/support/skips.ts).
 */
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build, needsServices, userWithToken } from '../helper.ts'
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
