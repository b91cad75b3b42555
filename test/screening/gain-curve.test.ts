import t from 'tap'
import { gainCurve } from '../../src/services/screening-model.ts'

t.test('the gain curve counts includes in screening order', async (t) => {
  t.same(gainCurve([]), [[0, 0]], 'nothing screened')
  t.same(gainCurve(['include', 'exclude', 'maybe', 'include', 'exclude']), [[0, 0], [1, 1], [2, 1], [3, 1], [4, 2], [5, 2]], 'maybe is not an include')
})

t.test('a long sequence is sampled down to at most `points` steps, ending on the last record', async (t) => {
  const sequence = Array.from({ length: 1003 }, (_, i) => (i < 100 || i % 50 === 0 ? 'include' : 'exclude'))
  const curve = gainCurve(sequence, 100)
  t.ok(curve.length <= 102, `${curve.length} points`)
  t.same(curve.at(-1), [1003, 100 + 19], 'the last point is exact')
  t.same(curve[1], [11, 11])
  t.ok(curve.slice(1).every(([x, y], i) => x > curve[i][0] && y >= curve[i][1]), 'increasing')
})
