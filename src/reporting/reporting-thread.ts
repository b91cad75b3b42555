/**
 * The process's reporting thread (src/threads/module-thread.ts), started on the first bibliography
 * or figure: the requests' event loop stays free while citeproc formats and resvg draws.
 */
import { Unsupported } from '../errors.ts'
import type { ExportItem } from '../export/item.ts'
import { ModuleThread, moduleBeside, type WithoutId } from '../threads/module-thread.ts'
import type { Bibliography, BibliographyOptions } from './bibliography.ts'
import type { ReportingReply, ReportingRequest } from './reporting-worker.ts'

let thread: ModuleThread<ReportingRequest, ReportingReply> | undefined
/**
 * The thread ends after this long without work: the citeproc engines of APA and Chicago alone hold
 * about 250 MB. Building one again takes 1.5–3 s of the thread's CPU, not the requests'.
 */
const IDLE_MS = 5 * 60 * 1000

type Answer<K> = Extract<ReportingReply, { ok: true; kind: K }>

/** The thread's answer to `request`, of its kind; its failure as an error saying what failed. */
async function call<K extends ReportingRequest['kind']>(request: WithoutId<ReportingRequest> & { kind: K }, what: string): Promise<Answer<K>> {
  thread ??= new ModuleThread(moduleBeside(import.meta.url, 'reporting-worker'), 'reporting', { idleMs: IDLE_MS })
  const reply = await thread.call(request)
  if (reply.ok) return reply as Answer<K>
  if (reply.unsupported) throw new Unsupported(reply.message)
  throw new Error(`${what} failed: ${reply.message}`)
}

/** formatBibliography (bibliography.ts), in the reporting thread. */
export async function formatBibliographyInThread(items: readonly ExportItem[], options: BibliographyOptions): Promise<Bibliography> {
  // Only the reference goes to the thread: not the record as read, nor the abstract a reference list never prints.
  const references = items.map((item) => ({ record: { ...item.record, original: undefined, abstract: undefined } }))
  return (await call({ kind: 'bibliography', items: references, options }, 'formatting the bibliography')).bibliography
}

/** drawPng (render.ts), in the reporting thread. */
export async function drawPngInThread(svg: string, scale: number): Promise<Buffer> {
  const { png } = await call({ kind: 'png', svg, scale }, 'drawing the figure')
  return Buffer.from(png.buffer, png.byteOffset, png.byteLength)
}
