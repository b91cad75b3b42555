import { readdirSync, readFileSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import t from 'tap'
import { closeTrainingThread, trainingThread } from '../../src/screening/training-thread.ts'
import { train } from '../../src/screening/training-worker.ts'

const topic = (i: number) => `Exercise therapy for depression trial ${i}. Randomised trial of aerobic exercise in adults with major depression.`
const other = (i: number) => `Corporate tax reform ${i}. An analysis of fiscal policy, tax rates and corporate income in several countries.`
const texts = [...Array.from({ length: 10 }, (_, i) => topic(i)), ...Array.from({ length: 30 }, (_, i) => other(i))]
const ids = texts.map((_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
const request = {
  key: 'test', fingerprint: 'v1', records: { ids, texts }, classifier: 'svm' as const,
  labels: [[ids[0], 'include'], [ids[12], 'exclude'], [ids[13], 'exclude']] as Array<[string, 'include' | 'exclude']>
}

t.teardown(closeTrainingThread)

t.test('the thread trains as the calling thread would, and keeps the features', async (t) => {
  const thread = trainingThread()
  const local = train(request)
  const remote = await thread.train(request)
  t.equal(remote.mode, 'model')
  t.same([...remote.scores!], [...local.scores!], 'same scores as a training on this thread')
  t.ok(remote.scores![5] > remote.scores![25], 'an unlabelled topic record ranks above an unlabelled other one')
  const ranked = remote.ranking!
  t.equal(ranked.scores.length, texts.length, 'every record ranked')
  t.ok(ranked.scores.every((score, i) => i === 0 || score <= ranked.scores[i - 1]), 'highest score first')
  const rounded = Float32Array.from(remote.scores!)
  const expected = ids.map((id, i) => ({ id, score: rounded[i], i })).sort((a, b) => b.score - a.score || a.i - b.i).map((r) => r.id.replace(/-/g, ''))
  t.same(Array.from({ length: ids.length }, (_, rank) => Buffer.from(ranked.ids.subarray(rank * 16, rank * 16 + 16)).toString('hex')), expected, 'ids packed 16 bytes each, in rank order, ties by id')
  t.not(thread.threadId, threadId, 'ran in another thread')
  t.equal(thread.started, 1)
  const again = await thread.train({ ...request, labels: [...request.labels, [ids[1], 'include']] })
  t.ok(again.featuresCached, 'same texts: features reused')
  t.equal(again.includes, 2)
  t.equal(thread.started, 1, 'one thread for both trainings')
  const { records: _records, ...withoutTexts } = request
  const kept = await thread.train(withoutTexts)
  t.ok(kept?.featuresCached, 'the same fingerprint needs no texts')
  t.same([...kept!.scores!], [...remote.scores!])
  t.equal(await thread.train({ ...withoutTexts, fingerprint: 'v2' }), null, 'another fingerprint without texts: the thread asks for them')
})

t.test('a thread that dies fails its training with a clear error, and the next training starts another', async (t) => {
  const thread = trainingThread()
  // The rejection is awaited from the start: it may come before terminate() resolves.
  // 40,000 new texts: the features take the thread well over the time terminate() needs to reach it.
  const many = Array.from({ length: 40_000 }, (_, i) => `${texts[i % texts.length]} variant ${i} term${i % 997}`)
  const big = { ...request, key: 'other', fingerprint: 'many', records: { ids: many.map((_, i) => `m${i}`), texts: many } }
  const failed = t.rejects(thread.train(big), /screening model thread stopped/)
  // Ends the thread under the running training, as a crash would.
  await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate()
  await failed
  const before = thread.started
  const result = await thread.train(request)
  t.equal(result.mode, 'model')
  t.equal(thread.started, before + 1, 'a new thread was started')
})

t.test('closing ends the thread; the process is not kept alive by it', async (t) => {
  const thread = trainingThread()
  await thread.train(request)
  await closeTrainingThread()
  t.equal(thread.threadId, undefined)
})

t.test('on Linux the training thread runs at a lower priority than the requests\' thread', { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  await trainingThread().train(request)
  // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value (after the parenthesised name).
  const nice = (tid: string) => Number(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[16])
  const values = readdirSync(`/proc/${process.pid}/task`).map(nice)
  t.equal(nice(String(process.pid)), 0, 'the main thread keeps its priority')
  t.ok(values.includes(10), 'one thread (the training thread) runs at nice 10')
})
