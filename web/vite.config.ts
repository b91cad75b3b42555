import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { brotliCompressSync, gzipSync, constants } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'

/** Writes .br and .gz next to every text asset of the build, served by the service when accepted. */
function precompress(): Plugin {
  let outDir = ''
  return {
    name: 'analylit-precompress',
    apply: 'build',
    configResolved(config) { outDir = path.resolve(config.root, config.build.outDir) },
    async closeBundle() {
      const files = await readdir(outDir, { recursive: true })
      for (const file of files) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue
        const full = path.join(outDir, file)
        const data = await readFile(full)
        await writeFile(`${full}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
        await writeFile(`${full}.gz`, gzipSync(data, { level: 9 }))
      }
    }
  }
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [precompress()],
  build: {
    outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022',
    rolldownOptions: { onwarn(warning, warn) { if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning) } }
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } } }
})
