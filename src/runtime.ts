/**
 * Settings of the Node.js runtime for the service's own processes (server
 * and worker), applied at start-up.
 */
import v8 from 'node:v8'

/**
 * Lets the JavaScript heap grow by at most `percent` past what the last full
 * collection kept (0: V8's own choice). Left to itself, V8 grows the heap to
 * two to four times the live data between full collections; an import or a
 * deduplication run allocates hundreds of megabytes of short-lived rows, so
 * the process would hold that much garbage at its peak. With 10% it holds
 * little more than the live data (bench/README.md measures both).
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`)
}
