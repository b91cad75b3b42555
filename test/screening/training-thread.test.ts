import { threadId } from 'node:worker_threads'
import t from 'tap'
import { closeTrainingThread, trainingThread } from '../../src/screening/training-thread.ts'
import { train } from '../../src/screening/training-worker.ts'

const topic = (i: number) => `Exercise therapy for depression trial ${i}. Randomised trial of aerobic exercise in adults with major depression.`
const other = (i: number) => `Corporate tax reform ${i}. An analysis of fiscal policy, tax rates and corporate income in several countries.`
const texts = [...Array.from({ length: 10 }, (_, i) => topic(i)), ...Array.from({ length: 30 }, (_, i) => other(i))]
const ids = texts.map((_, i) => `r${i}`)
const request = {
  key: 'test', ids, texts, classifier: 'svm' as const,
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
})

t.test('unchanged texts are not copied to the thread again; changed ones are, and features the thread lacks are asked for', async (t) => {
  const thread = trainingThread()
  await thread.train({ ...request, key: 'resend' })
  const worker = (thread as unknown as { worker: { postMessage(message: unknown): void } }).worker
  const posted: Array<{ texts: string[] | null }> = []
  const post = worker.postMessage.bind(worker)
  worker.postMessage = (message: unknown) => { posted.push(message as { texts: string[] | null }); post(message) }

  // Equal content in new arrays, as the service builds them from the database at each training.
  const copy = { ...request, key: 'resend', ids: ids.map((id) => `${id}`), texts: texts.map((text) => ` ${text}`.slice(1)) }
  const same = await thread.train(copy)
  t.equal(posted.at(-1)?.texts, null, 'same ids and texts: none copied')
  t.same([...same.scores!], [...train(copy).scores!], 'scores of the kept features are those of a full training')

  const edited = { ...copy, texts: copy.texts.map((text, i) => (i === 5 ? 'Corporate tax reform and fiscal policy.' : text)) }
  const changed = await thread.train(edited)
  t.same(posted.at(-1)?.texts, edited.texts, 'a changed text: the texts are sent')
  t.same([...changed.scores!], [...train({ ...edited, key: 'local-edited' }).scores!], 'scores from the new texts')

  // Same key and texts for another classifier: the thread has no features for it and asks for the texts.
  const nb = { ...edited, classifier: 'nb' as const }
  const other = await thread.train(nb)
  t.same(posted.slice(-2).map((m) => m.texts === null), [true, false], 'sent without texts, then again with them')
  t.same([...other.scores!], [...train({ ...nb, key: 'local-nb' }).scores!], 'scores of the other classifier')
})

t.test('a thread that dies fails its training with a clear error, and the next training starts another', async (t) => {
  const thread = trainingThread()
  // The rejection is awaited from the start: it may come before terminate() resolves.
  // 40,000 new texts: the features take the thread well over the time terminate() needs to reach it.
  const many = Array.from({ length: 40_000 }, (_, i) => `${texts[i % texts.length]} variant ${i} term${i % 997}`)
  const big = { ...request, key: 'other', ids: many.map((_, i) => `m${i}`), texts: many }
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
