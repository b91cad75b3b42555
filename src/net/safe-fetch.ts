/**
 * Downloads a URL that came from outside (an API record, a user) without
 * letting it reach private networks: only http(s), every address the host
 * name resolves to must pass the address policy (public unicast by default),
 * the connection goes to the very address that was checked (no second DNS
 * lookup, so DNS rebinding cannot swap it), redirects are followed by hand
 * and checked the same way at every hop, and the body is streamed with a
 * size cap (and optionally a PDF signature check) into a file or a buffer.
 */
import { createHash, randomBytes } from 'node:crypto'
import dns from 'node:dns'
import { open, rename, unlink } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { LookupFunction } from 'node:net'
import { redactUrl } from './errors.ts'
import { isPublicAddress } from './ip-policy.ts'

export type SafeFetchFailure =
  | 'unsupported-scheme'
  | 'invalid-url'
  | 'dns-failure'
  | 'blocked-address'
  | 'too-many-redirects'
  | 'http-status'
  | 'too-large'
  | 'not-pdf'
  | 'timeout'
  | 'network'

export class SafeFetchError extends Error {
  override name = 'SafeFetchError'
  constructor(
    readonly reason: SafeFetchFailure,
    /** The URL of the hop that failed (secrets redacted). */
    readonly url: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown }
  ) {
    super(`${message} (${url})`, options)
  }
}

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

export interface SafeDownloadOptions {
  /** Refuse bodies larger than this (checked on Content-Length and while streaming). */
  maxBytes: number
  /** Write the body to this path (through a temporary file renamed at the end); otherwise it is returned in `body`. */
  dest?: string
  /** Require a PDF signature ("%PDF-" within the first 1024 bytes, as PDF readers accept). */
  requirePdf?: boolean
  /** Time limit for the whole download, redirects included (default 60 s). */
  timeoutMs?: number
  /** Redirect hops followed at most (default 5). */
  maxRedirects?: number
  /** Address policy; default: public unicast addresses only (see ip-policy.ts). */
  allowAddress?: (address: string, family: 4 | 6) => boolean
  /** Resolver; default: dns.lookup with all addresses. Injectable for tests. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>
  headers?: Record<string, string>
  signal?: AbortSignal
}

export interface SafeDownloadResult {
  /** The URL the body came from (after redirects). */
  url: string
  requestedUrl: string
  /** Every redirect target followed, in order. */
  redirects: string[]
  /** The address connected to for the last hop. */
  address: string
  bytes: number
  sha256: string
  contentType?: string
  /** Set when `dest` was given. */
  path?: string
  /** Set when `dest` was not given. */
  body?: Buffer
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
const PDF_SIGNATURE = Buffer.from('%PDF-')
const PDF_SIGNATURE_WINDOW = 1024

async function defaultResolve(hostname: string): Promise<ResolvedAddress[]> {
  const answers = await dns.promises.lookup(hostname, { all: true, verbatim: true })
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))
}

/** Resolves and checks the host of `url`; returns the address to connect to. */
async function checkDestination(url: URL, options: SafeDownloadOptions): Promise<ResolvedAddress> {
  const shown = redactUrl(url)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SafeFetchError('unsupported-scheme', shown, `Only http and https URLs may be downloaded, not ${url.protocol}`)
  }
  const allow = options.allowAddress ?? ((address: string) => isPublicAddress(address))
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const literalFamily = net.isIP(host)
  let addresses: ResolvedAddress[]
  if (literalFamily) {
    addresses = [{ address: host, family: literalFamily as 4 | 6 }]
  } else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(host)
    } catch (error) {
      throw new SafeFetchError('dns-failure', shown, `Could not resolve ${host}`, undefined, { cause: error })
    }
    if (addresses.length === 0) throw new SafeFetchError('dns-failure', shown, `No address for ${host}`)
  }
  const refused = addresses.filter((a) => !allow(a.address, a.family))
  if (refused.length > 0) {
    throw new SafeFetchError('blocked-address', shown, `Refusing to connect to non-public address ${refused.map((a) => a.address).join(', ')}`)
  }
  return addresses[0]
}

/** A lookup that always answers the address already checked (pinning). */
function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }])
    else callback(null, target.address, target.family)
  }) as unknown as LookupFunction
}

function openResponse(url: URL, target: ResolvedAddress, options: SafeDownloadOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        headers: { 'accept-encoding': 'identity', ...options.headers },
        // A fresh connection per hop: a pooled socket could belong to an address checked for another request.
        agent: false,
        lookup: pinnedLookup(target),
        signal
      },
      resolve
    )
    request.on('error', reject)
    request.end()
  })
}

function hasPdfSignature(head: Buffer): boolean {
  return head.subarray(0, PDF_SIGNATURE_WINDOW).indexOf(PDF_SIGNATURE) >= 0
}

async function readBody(
  response: http.IncomingMessage,
  url: URL,
  options: SafeDownloadOptions
): Promise<{ bytes: number; sha256: string; path?: string; body?: Buffer }> {
  const shown = redactUrl(url)
  const declared = Number(response.headers['content-length'])
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    response.destroy()
    throw new SafeFetchError('too-large', shown, `Declared size ${declared} bytes exceeds the limit of ${options.maxBytes}`)
  }
  const hash = createHash('sha256')
  const tempPath = options.dest ? `${options.dest}.part-${randomBytes(6).toString('hex')}` : undefined
  const file = tempPath ? await open(tempPath, 'wx') : undefined
  const chunks: Buffer[] = []
  let head = Buffer.alloc(0)
  let bytes = 0
  let signatureChecked = !options.requirePdf
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      bytes += chunk.length
      if (bytes > options.maxBytes) {
        response.destroy()
        throw new SafeFetchError('too-large', shown, `Body exceeds the limit of ${options.maxBytes} bytes`)
      }
      if (!signatureChecked) {
        head = Buffer.concat([head, chunk])
        if (head.length >= PDF_SIGNATURE_WINDOW) {
          if (!hasPdfSignature(head)) {
            response.destroy()
            throw new SafeFetchError('not-pdf', shown, 'The body does not start like a PDF file')
          }
          signatureChecked = true
        }
      }
      hash.update(chunk)
      if (file) await file.write(chunk)
      else chunks.push(chunk)
    }
    if (!signatureChecked && !hasPdfSignature(head)) {
      throw new SafeFetchError('not-pdf', shown, 'The body does not start like a PDF file')
    }
    if (file) {
      await file.close()
      await rename(tempPath!, options.dest!)
      return { bytes, sha256: hash.digest('hex'), path: options.dest }
    }
    return { bytes, sha256: hash.digest('hex'), body: Buffer.concat(chunks) }
  } catch (error) {
    if (file) {
      await file.close().catch(() => undefined)
      await unlink(tempPath!).catch(() => undefined)
    }
    throw error
  }
}

/**
 * Downloads `url` under the policy above. Throws SafeFetchError with a
 * `reason` code, or the caller's abort reason.
 */
export async function safeDownload(url: string, options: SafeDownloadOptions): Promise<SafeDownloadResult> {
  const maxRedirects = options.maxRedirects ?? 5
  const timeoutMs = options.timeoutMs ?? 60_000
  const timeoutSignal = AbortSignal.timeout(timeoutMs)
  const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal
  let current: URL
  try {
    current = new URL(url)
  } catch {
    throw new SafeFetchError('invalid-url', redactUrl(url), 'Not a valid URL')
  }
  const redirects: string[] = []

  const translate = (error: unknown, at: URL): unknown => {
    if (error instanceof SafeFetchError) return error
    if (options.signal?.aborted) return options.signal.reason
    if (timeoutSignal.aborted) return new SafeFetchError('timeout', redactUrl(at), `Download did not finish within ${timeoutMs} ms`)
    const message = error instanceof Error ? error.message : String(error)
    return new SafeFetchError('network', redactUrl(at), `Download failed: ${message}`, undefined, { cause: error })
  }

  for (let hop = 0; ; hop++) {
    try {
      const target = await checkDestination(current, options)
      if (signal.aborted) throw signal.reason
      const response = await openResponse(current, target, options, signal)
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (REDIRECT_STATUSES.has(status) && location) {
        response.destroy()
        if (hop >= maxRedirects) {
          throw new SafeFetchError('too-many-redirects', redactUrl(current), `More than ${maxRedirects} redirects`)
        }
        current = new URL(location, current)
        redirects.push(current.href)
        continue
      }
      if (status < 200 || status >= 300) {
        response.destroy()
        throw new SafeFetchError('http-status', redactUrl(current), `HTTP ${status}`, status)
      }
      const contentType = response.headers['content-type']
      const body = await readBody(response, current, options)
      return { url: current.href, requestedUrl: url, redirects, address: target.address, contentType, ...body }
    } catch (error) {
      throw translate(error, current)
    }
  }
}
