/**
 * The configuration a background job runs under.
 *
 * A handler only gets its JobContext. In a BullMQ worker process the right
 * configuration is the process's own (`loadConfig()`), but in the web process
 * (in-process runner) the app may have been built from a configuration that
 * is not `process.env` (tests build several apps in one process, each with
 * its own API base URLs). The routes that submit tasks bind their app's
 * configuration to the app's database handle, which the context carries, so
 * a handler finds the configuration of the very app that runs it.
 */
import { loadConfig, type Config } from '../config.ts'
import type { Database } from '../db/index.ts'

const bound = new WeakMap<Database, Config>()
let processConfig: Config | undefined

/** Makes `config` the configuration of jobs that run with this database handle. */
export function bindJobConfig(db: Database, config: Config): void {
  bound.set(db, config)
}

/** The configuration for a job: its context's, the one bound to its database handle, or the process's. */
export function jobConfig(ctx: { db: Database; config?: Config }): Config {
  if (ctx.config) return ctx.config
  const config = bound.get(ctx.db)
  if (config) return config
  processConfig ??= loadConfig()
  return processConfig
}
