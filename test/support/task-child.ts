/**
 * A service process (web with in-process jobs, or a BullMQ worker with `worker` as argument) that
 * also knows a task type `test-hang`, which tells the parent it runs and then never ends: the tests
 * of bounded attempts kill it there, as a process killed by an out-of-memory import would be.
 */
import { loadConfig } from '../../src/config.ts'
import { Type } from '@sinclair/typebox'
import { buildServer } from '../../src/server.ts'
import { TASKS, type TaskRegistry } from '../../src/tasks/registry.ts'

;(TASKS as Record<string, TaskRegistry[string]>)['test-hang'] = {
  payload: Type.Object({}),
  run: async () => {
    process.send?.('running')
    await new Promise(() => {})
  }
}

// Never outlive the test that started it.
process.once('disconnect', () => process.exit(1))

const app = buildServer(loadConfig(), process.argv[2] === 'worker' ? 'worker' : 'web')
await app.ready()
process.send?.('ready')
