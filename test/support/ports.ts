/**
 * Ports for servers the tests start. A server that can bind port 0 itself
 * should (our HTTP stand-ins, Fastify's listen). PostgreSQL and redis-server
 * take their port on the command line: `onFreePort` picks one just before the
 * start and, should another process take it in between, starts again on
 * another.
 */
import net from 'node:net'

/** A TCP port free on the loopback interface right now (it may be taken by the time it is used). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

const IN_USE = /EADDRINUSE|address already in use/i

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
