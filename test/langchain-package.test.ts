// The quiverdb/langchain subpath and the RAG exports as users load them (built dist/).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const built = ['langchain.js', 'langchain.cjs', 'langchain.d.ts', 'index.js', 'index.cjs'].every((f) => existsSync(join(root, 'dist', f)));
const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 30_000 });

const script = `
  const emb = new SyntheticEmbeddings({ vectorSize: 8 });
  const vs = await QuiverVectorStore.fromTexts(['alpha beta', 'gamma delta'], [{ n: 1 }, { n: 2 }], emb);
  const [top] = await vs.similaritySearch('gamma delta', 1);
  const chunks = q.chunkText('One sentence. Two sentences.');
  console.log(JSON.stringify({ text: top.pageContent, n: top.metadata.n, chunks: chunks.length, retriever: typeof q.Retriever, stem: q.createTokenizer()('running') }));`;

describe.skipIf(!built)('quiverdb/langchain entry (run `npm run build:ts` first)', () => {
  it('loads with import (ESM)', () => {
    const r = node(['--input-type=module', '-e', `import * as q from 'quiverdb'; import { QuiverVectorStore } from 'quiverdb/langchain';
      import { SyntheticEmbeddings } from '@langchain/core/utils/testing'; ${script}`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ text: 'gamma delta', n: 2, chunks: 1, retriever: 'function', stem: ['run'] });
  });

  it('loads with require (CommonJS)', () => {
    const r = node(['-e', `const q = require('quiverdb'); const { QuiverVectorStore } = require('quiverdb/langchain');
      const { SyntheticEmbeddings } = require('@langchain/core/utils/testing'); (async () => { ${script} })();`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ text: 'gamma delta', n: 2, stem: ['run'] });
  });
});
