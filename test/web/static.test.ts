import t from 'tap'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { brotliCompressSync, brotliDecompressSync, gzipSync, gunzipSync } from 'node:zlib'
import { build, needsServices, tempDir } from '../helper.ts'

/** The web application at /: files, SPA fallback, cache headers, precompressed variants, CSP. */
const CSP = "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data: blob:;connect-src 'self' ws: wss:;object-src 'none';frame-ancestors 'none';base-uri 'self'"
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-3f2a1c.js"></script></head><body><div id="root"></div></body></html>'
const SCRIPT = `console.log(${JSON.stringify('AnalyLit '.repeat(400))})`

t.test('built web application', { skip: needsServices }, async (t) => {
  const dist = await tempDir(t)
  await mkdir(path.join(dist, 'assets'))
  await writeFile(path.join(dist, 'index.html'), INDEX)
  await writeFile(path.join(dist, 'robots.txt'), 'User-agent: *\n')
  await writeFile(path.join(dist, 'assets/app-3f2a1c.js'), SCRIPT)
  await writeFile(path.join(dist, 'assets/app-3f2a1c.js.br'), brotliCompressSync(SCRIPT))
  await writeFile(path.join(dist, 'assets/app-3f2a1c.js.gz'), gzipSync(SCRIPT))
  const app = await build(t, { WEB_DIST_DIR: dist })

  await t.test('index.html at / and for every SPA path, revalidated, with the CSP', async (t) => {
    for (const url of ['/', '/projects/5e0e/screening', '/set-password?x=1']) {
      const res = await app.inject({ url })
      t.equal(res.statusCode, 200, url)
      t.equal(res.body, INDEX, url)
      t.match(res.headers['content-type'], /^text\/html/)
      t.equal(res.headers['cache-control'], 'no-cache', `${url} revalidated`)
      t.equal(res.headers['content-security-policy'], CSP)
    }
    const head = await app.inject({ method: 'HEAD', url: '/library' })
    t.equal(head.statusCode, 200, 'HEAD too')
    const res = await app.inject({ url: '/' })
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    t.equal(res.headers['cross-origin-opener-policy'], 'same-origin')
  })

  await t.test('hashed assets cached for a year, precompressed variants when accepted', async (t) => {
    const url = '/assets/app-3f2a1c.js'
    const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } })
    t.equal(br.statusCode, 200)
    t.equal(br.headers['content-encoding'], 'br')
    t.equal(brotliDecompressSync(br.rawPayload).toString(), SCRIPT)
    t.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable')
    t.match(br.headers.vary, /accept-encoding/i)
    t.match(br.headers['content-type'], /javascript/)
    const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } })
    t.equal(gz.headers['content-encoding'], 'gzip')
    t.equal(gunzipSync(gz.rawPayload).toString(), SCRIPT)
    const plain = await app.inject({ url, headers: { 'accept-encoding': 'identity' } })
    t.notOk(plain.headers['content-encoding'])
    t.equal(plain.body, SCRIPT)
    const other = await app.inject({ url: '/robots.txt' })
    t.equal(other.statusCode, 200)
    t.equal(other.headers['cache-control'], 'no-cache', 'files outside /assets/ revalidated')
  })

  await t.test('no fallback for /api, missing files, or other methods', async (t) => {
    for (const url of ['/api/nope', '/api/projects/x/nope', '/api', '/assets/missing-1234.js', '/missing.png']) {
      const res = await app.inject({ url })
      t.equal(res.statusCode, 404, url)
      t.match(res.headers['content-type'], /^application\/json/, `${url} JSON`)
      t.match(res.json(), { statusCode: 404, error: 'Not Found' })
    }
    const post = await app.inject({ method: 'POST', url: '/projects', payload: {} })
    t.equal(post.statusCode, 404)
    const api = await app.inject({ url: '/api/me' })
    t.equal(api.statusCode, 401, 'API routes unchanged')
    t.equal(api.headers['content-security-policy'], CSP, 'the API carries the headers too')
  })
})

t.test('not built: a notice at /, the API unaffected', { skip: needsServices }, async (t) => {
  const app = await build(t, { WEB_DIST_DIR: path.join(await tempDir(t), 'absent') })
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 503)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.body, /npm run build:web/)
  t.equal((await app.inject({ url: '/projects' })).statusCode, 503, 'every SPA path')
  t.equal((await app.inject({ url: '/api/nope' })).json().statusCode, 404)
  t.equal((await app.inject({ url: '/api/health' })).statusCode, 200)
})
