/**
 * Skips for a missing dependency (redis-server, the test services…) give a
 * reason starting with "needs "; a skip for any other reason (a platform
 * choice, absent optional data) must not. test/run.ts counts the former in
 * tap's report and fails under CI=true when there is any: a CI run that
 * silently skips the Redis tests proves nothing about them.
 */
export const MISSING_DEPENDENCY_SKIP = 'needs '

/** The reason of a skip for a missing dependency, e.g. `needs('redis-server', 'apt-get install redis-server')`. */
export function needs(dependency: string, hint: string): string {
  return `${MISSING_DEPENDENCY_SKIP}${dependency}: ${hint}`
}

/**
 * Whether a line of tap's TAP report is a test skipped for a missing dependency:
 * `ok 1 - name # SKIP needs …` (the `skip` option) or `ok 1 - needs … # SKIP` (`t.skip('needs …')`).
 */
export function isMissingDependencySkip(line: string): boolean {
  const match = /^\s*(?:not )?ok \d+ - (.*?)\s*# SKIP\b\s*(.*)$/.exec(line)
  if (!match) return false
  const reason = match[2] || match[1]
  return reason.startsWith(MISSING_DEPENDENCY_SKIP)
}
