/**
 * Lines of tap's TAP report that test/run.ts repeats at the end of a run: a CI
 * that keeps only the end of a long output still shows which tests failed.
 */

/**
 * A failed test point or subtest (`not ok 3 - name # time=12ms`, at any depth), as
 * `depth` and `name`; undefined for any other line and for a failing `# TODO`.
 */
export function failedTest(line: string): { depth: number; name: string } | undefined {
  const match = /^(\s*)not ok \d+ - (.*?)(?:\s+# (time=[\d.]+m?s|TODO\b.*))?\s*$/.exec(line)
  if (!match || match[3]?.startsWith('TODO')) return undefined
  return { depth: Math.floor(match[1].length / 4), name: match[2] }
}
