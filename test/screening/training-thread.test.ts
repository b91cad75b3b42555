import { threadId } from 'node:worker_threads'
import t from 'tap'
import { closeTrainingThread, trainingThread } from '../../src/screening/training-thread.ts'
import { train } from '../../src/screening/training-worker.ts'

const topic = (i: number) => `Exercise therapy for depression trial ${i}. Randomised trial of aerobic exercise in adults with major depression.`
const other = (i: number) => `Corporate tax reform ${i}. An analysis of fiscal policy, tax rates and corporate income in several countries.`
const texts = [...Array.from({ length: 10 }, (_, i) => topic(i)), ...Array.from({ length: 30 }, (_, i) => other(i))]
const request = {
  key: 'test', fingerprint: 'v1', texts, classifier: 'svm' as const,
  labelled: [{ index: 0, label: 'include' as const }, { index: 12, label: 'exclude' as const }, { index: 13, label: 'exclude' as const }]
}

t.teardown(closeTrainingThread)

t.test('the thread trains as the calling thread would, and keeps the features', async (t) => {
  const thread = trainingThread()
  const local = train(request)
  const remote = await thread.train(request)
  t.equal(remote.mode, 'model')
  t.same([...remote.scores!], [...local.scores!], 'same scores as a training on this thread')
  t.ok(remote.scores![5] > remote.scores![25], 'an unlabelled topic record ranks above an unlabelled other one')
  t.not(thread.threadId, threadId, 'ran in another thread')
  t.equal(thread.started, 1)
  const again = await thread.train({ ...request, labelled: [...request.labelled, { index: 1, label: 'include' }] })
  t.ok(again.featuresCached, 'same texts: features reused')
  t.equal(again.includes, 2)
  t.equal(thread.started, 1, 'one thread for both trainings')
  const { texts: _texts, ...withoutTexts } = request
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
  const big = { ...request, key: 'other', fingerprint: 'many', texts: many }
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
