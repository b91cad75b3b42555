import t from 'tap'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { isPublicAddress } from '../../src/net/ip-policy.ts'
import { safeDownload, SafeFetchError } from '../../src/net/safe-fetch.ts'
import { sendText, startApiServer } from '../support/api-servers/server.ts'

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), Buffer.alloc(3000, 'x'), Buffer.from('\n%%EOF\n')])
/** Test servers live on 127.0.0.2, which this policy treats as the "public" host; 127.0.0.1 stays refused. */
const onlyTestHost = (address: string) => address === '127.0.0.2'

t.test('the default policy refuses private, loopback, link-local and special addresses', async (t) => {
  for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.169.254', '100.64.1.1', '0.0.0.0',
    '224.0.0.251', '::1', '::', 'fe80::1', 'fd00::1', 'fc00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1']) {
    t.notOk(isPublicAddress(address), `${address} refused`)
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
    t.ok(isPublicAddress(address), `${address} allowed`)
  }
})

t.test('loopback is refused by default, before any connection', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 200, PDF.toString('latin1'), 'application/pdf'))
  t.teardown(server.close)
  const error = await safeDownload(`${server.origin}/file.pdf`, { maxBytes: 1e6 }).catch((e) => e)
  t.type(error, SafeFetchError)
  t.equal(error.reason, 'blocked-address')
  const byName = await safeDownload(`http://localhost:${server.port}/file.pdf`, { maxBytes: 1e6 }).catch((e) => e)
  t.equal(byName.reason, 'blocked-address', 'a host name resolving to loopback is refused too')
  t.equal(server.requests.length, 0)
})

t.test('only http and https are accepted', async (t) => {
  for (const url of ['file:///etc/passwd', 'ftp://example.org/a.pdf', 'gopher://example.org/']) {
    const error = await safeDownload(url, { maxBytes: 100 }).catch((e) => e)
    t.equal(error.reason, 'unsupported-scheme', url)
  }
  t.equal((await safeDownload('not a url', { maxBytes: 100 }).catch((e) => e)).reason, 'invalid-url')
})

t.test('a PDF from an allowed host is streamed to a file with its size and sha256', async (t) => {
  const server = await startApiServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pdf' })
    res.end(PDF)
  }, { host: '127.0.0.2' })
  t.teardown(server.close)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'safe-fetch-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dest = path.join(dir, 'paper.pdf')
  const result = await safeDownload(`${server.origin}/paper.pdf`, { maxBytes: 1e6, dest, requirePdf: true, allowAddress: onlyTestHost })
  t.equal(result.bytes, PDF.length)
  t.equal(result.sha256, createHash('sha256').update(PDF).digest('hex'))
  t.equal(result.path, dest)
  t.equal(result.address, '127.0.0.2')
  t.same(await readFile(dest), PDF)
  t.same(await readdir(dir), ['paper.pdf'], 'no temporary file left behind')
})

t.test('a redirect from an allowed host to 127.0.0.1 or the metadata address is refused', async (t) => {
  const internal = await startApiServer((_req, res) => sendText(res, 200, 'internal secret'))
  t.teardown(internal.close)
  for (const target of [`${internal.origin}/secret`, 'http://169.254.169.254/latest/meta-data/', `http://[::1]:${internal.port}/x`]) {
    const server = await startApiServer((_req, res) => sendText(res, 302, '', 'text/plain', { location: target }), { host: '127.0.0.2' })
    const error = await safeDownload(`${server.origin}/go`, { maxBytes: 1e6, allowAddress: onlyTestHost }).catch((e) => e)
    await server.close()
    t.type(error, SafeFetchError)
    t.equal(error.reason, 'blocked-address', `redirect to ${target} refused`)
  }
  t.equal(internal.requests.length, 0, 'the internal server was never contacted')
})

t.test('redirects are followed to allowed hosts, at most five', async (t) => {
  const server = await startApiServer((req, res) => {
    const hop = Number(req.path.slice(1))
    if (hop < 7) return sendText(res, 301, '', 'text/plain', { location: `/${hop + 1}` })
    res.writeHead(200, { 'content-type': 'application/pdf' })
    res.end(PDF)
  }, { host: '127.0.0.2' })
  t.teardown(server.close)
  const ok = await safeDownload(`${server.origin}/2`, { maxBytes: 1e6, allowAddress: onlyTestHost })
  t.equal(ok.redirects.length, 5)
  t.match(ok.url, /\/7$/)
  t.same(ok.body, PDF)
  const error = await safeDownload(`${server.origin}/1`, { maxBytes: 1e6, allowAddress: onlyTestHost }).catch((e) => e)
  t.equal(error.reason, 'too-many-redirects')
})

t.test('the connection goes to the address that was checked (DNS rebinding)', async (t) => {
  const allowed = await startApiServer((req, res) => sendText(res, 200, `served for ${req.headers.host}`), { host: '127.0.0.2' })
  t.teardown(allowed.close)
  const internal = await startApiServer((_req, res) => sendText(res, 200, 'internal'), { host: '127.0.0.1' })
  t.teardown(internal.close)
  // A rebinding resolver: the checked address first, a private one afterwards.
  // Connecting to whatever a second lookup answered would reach 127.0.0.1.
  let calls = 0
  const resolve = async () => (calls++ === 0 ? [{ address: '127.0.0.2', family: 4 as const }] : [{ address: '127.0.0.1', family: 4 as const }])
  const result = await safeDownload(`http://files.example.test:${allowed.port}/a`, { maxBytes: 1e6, allowAddress: onlyTestHost, resolve })
  t.equal(calls, 1, 'the name was resolved once, by the check')
  t.equal(result.body?.toString(), `served for files.example.test:${allowed.port}`, 'Host header kept, connection pinned')
  t.equal(allowed.requests.length, 1)

  const mixed = async () => [{ address: '127.0.0.2', family: 4 as const }, { address: '127.0.0.1', family: 4 as const }]
  const error = await safeDownload(`http://files.example.test:${allowed.port}/a`, { maxBytes: 1e6, allowAddress: onlyTestHost, resolve: mixed }).catch((e) => e)
  t.equal(error.reason, 'blocked-address', 'a name with any private address is refused')
})

t.test('bodies over the size limit are aborted, by header or while streaming', async (t) => {
  const big = Buffer.concat([PDF, Buffer.alloc(200_000, 'y')])
  const server = await startApiServer((req, res) => {
    if (req.path === '/declared') {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(big.length) })
      res.end(big)
      return
    }
    res.writeHead(200, { 'content-type': 'application/pdf' }) // chunked, no length
    let sent = 0
    const push = () => {
      while (sent < 5_000_000) {
        sent += 16_384
        if (!res.write(Buffer.alloc(16_384, 'z'))) {
          res.once('drain', push)
          return
        }
      }
      res.end()
    }
    res.write(PDF)
    push()
  }, { host: '127.0.0.2' })
  t.teardown(server.close)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'safe-fetch-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const declared = await safeDownload(`${server.origin}/declared`, { maxBytes: 100_000, allowAddress: onlyTestHost }).catch((e) => e)
  t.equal(declared.reason, 'too-large')
  const streamed = await safeDownload(`${server.origin}/stream`, { maxBytes: 100_000, allowAddress: onlyTestHost, dest: path.join(dir, 'x.pdf') }).catch((e) => e)
  t.equal(streamed.reason, 'too-large')
  t.same(await readdir(dir), [], 'the partial file was removed')
})

t.test('a body that is not a PDF is refused when a PDF is required', async (t) => {
  const server = await startApiServer((req, res) => {
    if (req.path === '/short') return sendText(res, 200, 'tiny', 'application/pdf')
    sendText(res, 200, `<!DOCTYPE html><html><body>${'Sign in to read this article. '.repeat(100)}</body></html>`, 'text/html')
  }, { host: '127.0.0.2' })
  t.teardown(server.close)
  for (const p of ['/landing', '/short']) {
    const error = await safeDownload(`${server.origin}${p}`, { maxBytes: 1e6, requirePdf: true, allowAddress: onlyTestHost }).catch((e) => e)
    t.equal(error.reason, 'not-pdf', p)
  }
  const html = await safeDownload(`${server.origin}/landing`, { maxBytes: 1e6, allowAddress: onlyTestHost })
  t.match(html.body?.toString(), /Sign in/, 'without requirePdf any body is accepted')
})

t.test('error statuses and time-outs are reported with their reason', async (t) => {
  const server = await startApiServer(async (req, res) => {
    if (req.path === '/slow') await new Promise((r) => setTimeout(r, 2000))
    sendText(res, req.path === '/slow' ? 200 : 403, 'no')
  }, { host: '127.0.0.2' })
  t.teardown(server.close)
  const forbidden = await safeDownload(`${server.origin}/x`, { maxBytes: 1e6, allowAddress: onlyTestHost }).catch((e) => e)
  t.equal(forbidden.reason, 'http-status')
  t.equal(forbidden.status, 403)
  const slow = await safeDownload(`${server.origin}/slow`, { maxBytes: 1e6, allowAddress: onlyTestHost, timeoutMs: 300 }).catch((e) => e)
  t.equal(slow.reason, 'timeout')
})
