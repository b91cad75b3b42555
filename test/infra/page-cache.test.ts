import t from 'tap'
import { ByteLru, matchesEtag } from '../../src/services/article-pages.ts'

t.test('the page cache holds at most its bytes, least recently used out first', async (t) => {
  const cache = new ByteLru(25)
  cache.set('a', 'x'.repeat(9))
  cache.set('b', 'y'.repeat(9))
  t.equal(cache.size, 20)
  t.equal(cache.get('a'), 'x'.repeat(9), 'a is now the most recently used')
  cache.set('c', 'z'.repeat(9))
  t.equal(cache.get('b'), undefined, 'b went first')
  t.ok(cache.get('a') && cache.get('c'))
  t.ok(cache.size <= 25)
  cache.set('huge', 'h'.repeat(100))
  t.equal(cache.get('huge'), undefined, 'a value larger than the whole cache is not kept')
  t.equal(cache.get('a'), 'x'.repeat(9), 'nor does it evict the rest')
  cache.set('a', 'short')
  t.equal(cache.size, 'a'.length + 'short'.length + 'c'.length + 9, 'a replaced value is counted once')
  t.equal(new ByteLru(0).get('anything'), undefined)
})

t.test('If-None-Match: lists, weak forms and *', async (t) => {
  t.ok(matchesEtag('"1-abc"', '"1-abc"'))
  t.ok(matchesEtag('"0-x", W/"1-abc"', '"1-abc"'))
  t.ok(matchesEtag('*', '"1-abc"'))
  t.notOk(matchesEtag('"2-abc"', '"1-abc"'))
  t.notOk(matchesEtag(undefined, '"1-abc"'))
})
