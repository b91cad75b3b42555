/**
 * Which IP addresses a server-side download may connect to. The default
 * policy allows public unicast addresses only, so a URL supplied by a user or
 * found in an API record cannot make the service reach its own machine, the
 * local network or a cloud metadata endpoint.
 */
import net from 'node:net'

type Cidr4 = [number, number]

function ipv4ToInt(address: string): number | undefined {
  const parts = address.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const byte = Number(part)
    if (byte > 255) return undefined
    value = value * 256 + byte
  }
  return value
}

function cidr4(text: string): Cidr4 {
  const [base, bits] = text.split('/')
  return [ipv4ToInt(base)!, Number(bits)]
}

/** IPv4 ranges that are not publicly routable unicast (RFC 6890 and friends). */
const BLOCKED_V4: Cidr4[] = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, cloud metadata (169.254.169.254)
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.88.99.0/24', // 6to4 relay anycast
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4' // reserved, broadcast
].map(cidr4)

function inCidr4(value: number, [base, bits]: Cidr4): boolean {
  if (bits === 0) return true
  const size = 2 ** (32 - bits)
  return Math.floor(value / size) === Math.floor(base / size)
}

export function isPublicIPv4(address: string): boolean {
  const value = ipv4ToInt(address)
  if (value === undefined) return false
  return !BLOCKED_V4.some((range) => inCidr4(value, range))
}

/** The eight 16-bit groups of an IPv6 address (zone index dropped), or undefined. */
export function parseIPv6(address: string): number[] | undefined {
  let text = address.trim().replace(/^\[|\]$/g, '')
  const zone = text.indexOf('%')
  if (zone >= 0) text = text.slice(0, zone)
  if (net.isIPv6(text) === false) return undefined
  const lastColon = text.lastIndexOf(':')
  const lastPart = text.slice(lastColon + 1)
  if (lastPart.includes('.')) {
    // Rewrite a trailing dotted IPv4 part as two hexadecimal groups.
    const v4 = ipv4ToInt(lastPart)
    if (v4 === undefined) return undefined
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)))
  let groups: number[]
  if (halves.length === 2) {
    const head = parse(halves[0])
    const rest = parse(halves[1])
    const missing = 8 - head.length - rest.length
    if (missing < 1) return undefined
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest]
  } else {
    groups = parse(text)
  }
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return undefined
  return groups
}

function embeddedIPv4(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
}

export function isPublicIPv6(address: string): boolean {
  const g = parseIPv6(address)
  if (!g) return false
  const allZeroPrefix = (count: number) => g.slice(0, count).every((x) => x === 0)
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d, which also covers :: and ::1).
  if (allZeroPrefix(5) && g[5] === 0xffff) return isPublicIPv4(embeddedIPv4(g[6], g[7]))
  if (allZeroPrefix(6)) return false
  // NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 address; 64:ff9b:1::/48 is local use.
  if (g[0] === 0x64 && g[1] === 0xff9b) {
    return g.slice(2, 6).every((x) => x === 0) && isPublicIPv4(embeddedIPv4(g[6], g[7]))
  }
  // 6to4 (2002::/16) embeds an IPv4 address in groups 1-2.
  if (g[0] === 0x2002) return isPublicIPv4(embeddedIPv4(g[1], g[2]))
  // Only global unicast 2000::/3 is public: this excludes fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64.
  if ((g[0] & 0xe000) !== 0x2000) return false
  if (g[0] === 0x2001 && g[1] < 0x0200) return false // 2001::/23 IETF assignments, incl. Teredo
  if (g[0] === 0x2001 && g[1] === 0x0db8) return false // documentation
  return true
}

/** Whether `address` (IPv4 or IPv6 literal) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''))
  if (family === 4) return isPublicIPv4(address)
  if (family === 6) return isPublicIPv6(address)
  return false
}
