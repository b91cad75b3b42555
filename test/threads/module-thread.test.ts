import t from 'tap'
import type { ReportingReply, ReportingRequest } from '../../src/reporting/reporting-worker.ts'
import { ModuleThread } from '../../src/threads/module-thread.ts'
import { waitFor } from '../helper.ts'

const FIGURE = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="10" height="10"/></svg>'
const reportingWorker = new URL('../../src/reporting/reporting-worker.ts', import.meta.url)

t.test('a thread with an idle time ends once idle that long, and the next call starts another', async (t) => {
  const thread = new ModuleThread<ReportingRequest, ReportingReply>(reportingWorker, 'test', { idleMs: 200 })
  t.teardown(() => thread.close())
  t.match(await thread.call({ kind: 'png', svg: FIGURE, scale: 1 }), { ok: true, kind: 'png' })
  t.ok(thread.threadId, 'running after the call')
  await waitFor(async () => thread.threadId === undefined, 10000)
  t.pass('ended once idle')
  t.match(await thread.call({ kind: 'png', svg: FIGURE, scale: 1 }), { ok: true, kind: 'png' }, 'the next call is answered')
  t.equal(thread.started, 2, 'by a new thread')
  // Calls made while it runs, overlapping, go to that thread.
  const calls = await Promise.all([1, 2, 3].map(() => thread.call({ kind: 'png', svg: FIGURE, scale: 2 })))
  t.ok(calls.every((reply) => reply.ok))
  t.equal(thread.started, 2, 'no new thread for calls made while it ran')
})
