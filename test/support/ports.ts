/**
 * Ports for servers the tests start. A server that can bind port 0 itself
 * should (our HTTP stand-ins, Fastify's listen). PostgreSQL and redis-server
 * take their port on the command line: `onFreePort` picks one just before the
 * start and, should another process take it in between, starts again on
 * another.
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'

/**
 * The first port of the kernel's ephemeral range, from which it picks the local ports of outgoing
 * connections (Linux: 32768 by default): ports below it are taken only by servers that ask for them,
 * so a port chosen there stays free for a server stopped and started again on it.
 */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768
  } catch {
    return 32768
  }
}

/** Binds `port` (0: any the kernel picks) and releases it; the port, or undefined when it is taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as net.AddressInfo).port
      server.close(() => resolve(bound))
    })
  })
}

/** A TCP port free on the loopback interface right now, below the ephemeral range (it may still be taken by the time it is used). */
export async function freePort(): Promise<number> {
  const high = ephemeralLow()
  const low = Math.max(1024, high - 12000)
  for (let tries = 0; high - low >= 1000 && tries < 50; tries++) {
    const port = await probe(low + Math.floor(Math.random() * (high - low)))
    if (port) return port
  }
  return (await probe(0))!
}

// The messages of Node, redis-server ("bind: Address already in use") and PostgreSQL (the end of its log).
const IN_USE = /EADDRINUSE|address already in use|could not create any TCP\/IP sockets/i

/** Runs `start(port)` on a free port, again on another one (at most `tries` in all) when the port was taken meanwhile. */
export async function onFreePort<T>(start: (port: number) => Promise<T>, tries = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort())
    } catch (error) {
      if (attempt >= tries || !IN_USE.test(String((error as Error)?.message ?? error))) throw error
    }
  }
}

/** Where a service started with PORT=0 and LOG_LEVEL info listens, from Fastify's log line "Server listening at …". */
export function listeningAt(log: string): string | undefined {
  return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1]
}
