/**
 * The reporting thread's module (reporting-thread.ts): formatted bibliographies (citeproc) and PNG
 * figures (resvg), work that would hold the requests' event loop for seconds (a thousand references
 * in APA or Chicago) or tens of milliseconds a figure (a report's dozens of them). The citeproc
 * engines, seconds to build for the largest styles, are kept in this thread.
 */
import { parentPort } from 'node:worker_threads'
import { Unsupported } from '../errors.ts'
import type { ExportItem } from '../export/item.ts'
import { formatBibliography, type Bibliography, type BibliographyOptions } from './bibliography.ts'
import { drawPng } from './render.ts'

export type ReportingRequest = { id: number } & (
  | { kind: 'bibliography'; items: ExportItem[]; options: BibliographyOptions }
  | { kind: 'png'; svg: string; scale: number })
export type ReportingReply = { id: number } & (
  | { ok: true; kind: 'bibliography'; bibliography: Bibliography }
  | { ok: true; kind: 'png'; png: Uint8Array }
  | { ok: false; message: string; unsupported: boolean })

async function answer(request: ReportingRequest): Promise<ReportingReply> {
  try {
    if (request.kind === 'bibliography') return { id: request.id, ok: true, kind: 'bibliography', bibliography: formatBibliography(request.items, request.options) }
    return { id: request.id, ok: true, kind: 'png', png: await drawPng(request.svg, request.scale) }
  } catch (error) {
    return { id: request.id, ok: false, message: (error as Error)?.message ?? String(error), unsupported: error instanceof Unsupported }
  }
}

parentPort?.on('message', (request: ReportingRequest) => {
  void answer(request).then((reply) => parentPort!.postMessage(reply))
})
