import { defineConfig } from 'tsup';

// ESM and CommonJS builds with .d.ts; shims give the CJS build import.meta.url.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  outDir: 'dist',
});
