import { defineConfig } from 'tsup';

// ESM and CommonJS builds with .d.ts; shims give the CJS build import.meta.url.
export default defineConfig({
  entry: { index: 'src/index.ts', langchain: 'src/langchain/index.ts' },
  // Optional peers stay external; stemmer is ESM-only, so it is bundled for the CommonJS build.
  external: ['@langchain/core', '@huggingface/transformers'],
  noExternal: ['stemmer'],
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  outDir: 'dist',
});
