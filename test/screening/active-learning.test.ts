import t from 'tap'
import { buildRecordFeatures, createScreeningModel, labelDecision } from '../../src/screening/active-learning.ts'

// A small corpus: records 0–9 about exercise for depression (the review topic), 10–29 about tax law.
const topic = (i: number) => ({ title: `Exercise therapy for depression trial ${i}`, abstract: 'Randomised trial of aerobic exercise in adults with major depression; depressive symptoms improved.' })
const other = (i: number) => ({ title: `Corporate tax reform ${i}`, abstract: 'An analysis of fiscal policy, tax rates and corporate income in several countries.' })
const records = [...Array.from({ length: 10 }, (_, i) => topic(i)), ...Array.from({ length: 20 }, (_, i) => other(i))]
const features = buildRecordFeatures(records)

t.test('before any include and exclude the order is random, fixed by the seed', async (t) => {
  const a = createScreeningModel({ seed: 42, features })
  const b = createScreeningModel({ seed: 42, features })
  const c = createScreeningModel({ seed: 43, features })
  t.equal(a.mode, 'random')
  t.same([...a.rank()], [...b.rank()], 'same seed, same order')
  t.notSame([...a.rank()], [...c.rank()], 'another seed, another order')
  t.same([...a.rank()].sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i), 'a permutation of all records')
  const summary = a.fit([{ index: 3, label: 'include' }, { index: 4, label: 1 }])
  t.equal(summary.mode, 'random', 'two includes and no exclude: still random')
  t.equal(summary.includes, 2)
  t.notOk([...a.rank()].includes(3), 'labelled records leave the queue')
  t.same(a.next(3), [...a.rank()].slice(0, 3))
  const scores = a.scoreAll()
  t.ok(scores.every((s) => s > 0 && s <= 1))
})

t.test('prior scores (e.g. an LLM probability) order the queue until the model can train', async (t) => {
  const prior = records.map((_, i) => (i === 25 ? 0.99 : i === 2 ? 0.8 : i % 3 === 0 ? null : 0.1))
  const model = createScreeningModel({ seed: 1, features, priorScores: prior })
  t.equal(model.mode, 'prior')
  const order = [...model.rank()]
  t.same(order.slice(0, 2), [25, 2])
  const firstUnscored = order.findIndex((i) => prior[i] === null)
  t.ok(order.slice(firstUnscored).every((i) => prior[i] === null), 'records without a prior score come last')
  t.ok(Number.isNaN(model.scoreAll()[0]), 'no prior score → NaN')
  t.throws(() => createScreeningModel({ seed: 1, features, priorScores: [0.5] }), RangeError)
})

t.test('with an include and an exclude the model ranks the topic first ("max" query)', async (t) => {
  for (const classifier of ['nb', 'logistic'] as const) {
    const model = createScreeningModel({ seed: 7, features, classifier })
    const summary = model.fit([{ index: 0, label: 'include' }, { index: 15, label: 'exclude' }])
    t.equal(summary.mode, 'model', classifier)
    t.equal(model.mode, 'model')
    const order = [...model.rank()]
    t.equal(order.length, 28)
    t.same(order.slice(0, 9).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9], `${classifier}: the nine other topic records lead`)
    t.equal(model.next()[0], order[0])
    const p = model.scoreAll()
    t.ok(p[1] > p[20], `${classifier}: higher probability for a topic record`)
    t.ok(p.every((v) => v >= 0 && v <= 1))
    const d = model.decisionValues()!
    t.ok(d[1] > d[20])
  }
})

t.test('later decisions replace earlier ones; "maybe" is screened but not learnt from', async (t) => {
  const model = createScreeningModel({ seed: 3, features })
  const summary = model.fit([
    { index: 0, label: 'exclude' }, { index: 0, label: 'include' },
    { index: 15, label: false }, { index: 16, label: 'maybe' }
  ])
  t.same({ includes: summary.includes, excludes: summary.excludes, maybes: summary.maybes }, { includes: 1, excludes: 1, maybes: 1 })
  t.notOk([...model.rank()].includes(16))
  t.throws(() => model.fit([{ index: 30, label: 'include' }]), RangeError)
  t.throws(() => labelDecision('yes' as never), RangeError)
  const liberal = createScreeningModel({ seed: 3, features, maybeAs: 'include' })
  t.equal(liberal.fit([{ index: 1, label: 'maybe' }, { index: 15, label: 'exclude' }]).mode, 'model', 'maybe trains as include when asked')
})

t.test('texts can be given instead of features', async (t) => {
  const model = createScreeningModel({ seed: 1, texts: records.map((r) => `${r.title} ${r.abstract}`) })
  t.equal(model.size, 30)
  model.fit([{ index: 0, label: 1 }, { index: 20, label: 0 }])
  t.ok(model.next()[0] < 10)
  t.throws(() => createScreeningModel({ seed: 1 }), TypeError)
})
