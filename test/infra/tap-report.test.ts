import t from 'tap'
import { failedTest } from '../support/tap-report.ts'

t.test('failed tests are picked out of tap\'s report, at every depth', async (t) => {
  t.same(failedTest('not ok 123 - test/paced/search-ratelimit.test.ts # time=22906.961ms'), { depth: 0, name: 'test/paced/search-ratelimit.test.ts' })
  t.same(failedTest('        not ok 14 - no request was refused for going over the limit'), { depth: 2, name: 'no request was refused for going over the limit' })
  t.same(failedTest('    not ok 2 - a subtest # time=15023.893ms'), { depth: 1, name: 'a subtest' })
  t.equal(failedTest('    ok 2 - a subtest # time=15.8ms'), undefined, 'a passing one')
  t.equal(failedTest('    not ok 2 - known bug # TODO fix it'), undefined, 'a failing TODO does not fail the run')
  t.equal(failedTest('                t.ok(x, `not ok 1 - quoted`)'), undefined, 'source quoted in a failure\'s diagnostics')
})
