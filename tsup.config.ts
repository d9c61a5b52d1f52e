import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import type { Plugin } from 'esbuild';

// One core per process: the library is built once, as CommonJS (dist/index.cjs).
// Every other file (the ESM entry, the LangChain and PostgreSQL entries) imports that file
// instead of bundling a copy of its own, so `instanceof VectorStore` or
// `StoreLockedError` holds whichever entry and module system made the object.
const core = resolve('src/index.ts');
const shareCore: Plugin = {
  name: 'share-core',
  setup(build) {
    build.onResolve({ filter: /(^|\/)index\.js$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      if (target !== core || args.kind === 'entry-point') return undefined;
      return { path: './index.cjs', external: true };
    });
  },
};

const common: Options = {
  // Optional peers stay external; stemmer (ESM-only, a devDependency) is bundled.
  external: ['@langchain/core', '@huggingface/transformers', 'pg'],
  noExternal: ['stemmer'],
  dts: true,
  shims: true,
  sourcemap: true,
  target: 'node20',
  outDir: 'dist',
  esbuildPlugins: [shareCore],
};

export default defineConfig(() => {
  // The three builds run in parallel, so none of them may clean dist/ itself.
  rmSync('dist', { recursive: true, force: true });
  return [
  // The core, and the npm install hook's view of the platform names.
  { ...common, entry: { index: 'src/index.ts', 'native-target': 'src/native/target.ts' }, format: ['cjs'] },
  // ESM entries and the CommonJS LangChain and pg entries: thin files over dist/index.cjs.
  { ...common, entry: { index: 'src/esm/index.ts', langchain: 'src/langchain/index.ts', pg: 'src/pg/index.ts' }, format: ['esm'] },
  { ...common, entry: { langchain: 'src/langchain/index.ts', pg: 'src/pg/index.ts' }, format: ['cjs'] },
  ];
});
