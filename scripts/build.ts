/**
 * Compiles the service to JavaScript, with the files it reads at run time
 * (migrations, seed data), for production: `npm run build`, then
 * `npm run start:prod`. Running compiled spares the memory of the
 * TypeScript loader (about 40 MB per process).
 *
 *   npx tsx scripts/build.ts [out dir, default dist]
 *
 * An output directory outside the project (the tests build into a temporary
 * one, never into a dist/ that a running service uses) gets a package.json
 * marking its files as ES modules and a link to the project's node_modules.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Builds into `outDir` (relative to the project root), replacing what it held. */
export async function buildService(outDir = 'dist'): Promise<string> {
  const target = path.resolve(ROOT, outDir)
  if (ROOT.startsWith(target + path.sep) || target === ROOT) throw new Error(`the output directory must not hold the project: ${target}`)
  await fs.rm(target, { recursive: true, force: true })
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', target], { cwd: ROOT, stdio: 'inherit' })
  await fs.cp(path.join(ROOT, 'drizzle'), path.join(target, 'drizzle'), { recursive: true })
  await fs.cp(path.join(ROOT, 'src/db/seed-data'), path.join(target, 'src/db/seed-data'), {
    recursive: true, filter: (source) => !source.endsWith('.ts')
  })
  await fs.cp(path.join(ROOT, 'src/reporting/csl'), path.join(target, 'src/reporting/csl'), { recursive: true })
  if (!target.startsWith(ROOT + path.sep)) {
    // Outside the project, compiled files would find neither "type": "module" nor their packages.
    await fs.writeFile(path.join(target, 'package.json'), '{ "type": "module" }\n')
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(target, 'node_modules'), 'dir')
  }
  return target
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = await buildService(process.argv[2])
  console.log(`built into ${path.relative(ROOT, target)}`)
}
