// Built by `npm run build:web` (scripts/build-web.ts), which also writes the .br/.gz files the service serves.
import { defineConfig } from 'vite'

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022',
    rolldownOptions: { onwarn(warning, warn) { if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning) } }
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:3000', ws: true } } }
})
