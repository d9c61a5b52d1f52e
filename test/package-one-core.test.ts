// One copy of the library per process: every entry (quiverdb and quiverdb/langchain,
// imported or required) shares dist/index.cjs, so classes and errors are the same
// objects whichever entry made them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const dist = join(root, 'dist');
const built = ['index.js', 'index.cjs', 'langchain.js', 'langchain.cjs'].every((f) => existsSync(join(dist, f)));
const run = (code: string) =>
  spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 30_000 });

describe.skipIf(!built)('one core across entries (run `npm run build:ts` first)', () => {
  it('only dist/index.cjs defines the core classes', () => {
    const definers = readdirSync(dist)
      .filter((f) => /\.(c?js)$/.test(f))
      .filter((f) => /\b(VectorStore|StoreLockedError|HnswIndex) = class\b/.test(readFileSync(join(dist, f), 'utf8')));
    expect(definers).toEqual(['index.cjs']);
  });

  it('import and require, of either entry, see the same classes', () => {
    const r = run(`
      import * as esm from 'quiverdb';
      import * as lcEsm from 'quiverdb/langchain';
      import { createRequire } from 'node:module';
      import { mkdtempSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const require = createRequire(join(process.cwd(), 'package.json'));
      const cjs = require('quiverdb');
      const lcCjs = require('quiverdb/langchain');
      const same = ['VectorStore', 'StoreLockedError', 'StoreCorruptError', 'HnswIndex', 'FlatIndex', 'Retriever']
        .every((name) => esm[name] === cjs[name]);
      const embeddings = { embedDocuments: async (t) => t.map(() => [1, 0]), embedQuery: async () => [1, 0] };
      // A store made by the CommonJS LangChain entry is an instance of the ESM core's class.
      const viaCjs = await lcCjs.QuiverVectorStore.fromTexts(['a'], [{}], embeddings);
      const viaEsm = await lcEsm.QuiverVectorStore.fromTexts(['b'], [{}], embeddings);
      // A lock error raised inside the LangChain entry is the main entry's StoreLockedError.
      const dir = mkdtempSync(join(tmpdir(), 'quiver-one-core-'));
      const holder = await esm.VectorStore.open(dir, { dim: 2 });
      let lockError;
      try { await lcCjs.QuiverVectorStore.load(dir, embeddings); } catch (err) { lockError = err; }
      await holder.close();
      console.log(JSON.stringify({
        same,
        cjsStore: viaCjs.store instanceof esm.VectorStore,
        esmStore: viaEsm.store instanceof cjs.VectorStore,
        locked: lockError instanceof esm.StoreLockedError && lockError instanceof cjs.StoreLockedError,
      }));`);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ same: true, cjsStore: true, esmStore: true, locked: true });
  });
});
