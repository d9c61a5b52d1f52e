// Runs inside a fresh app that installed quiverdb from its tarballs: what a new
// user does in the first minutes. Prints one JSON line; throws on any failure.
//   node app.mjs            (the app folder is the working directory)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as q from 'quiverdb';

const require = createRequire(join(process.cwd(), 'package.json'));
const cjs = require('quiverdb');
assert.equal(cjs.VectorStore, q.VectorStore, 'import and require share one core');

// A unit vector per id, deterministic.
const dim = 16;
const vectorOf = (i) => {
  const v = new Float32Array(dim);
  for (let d = 0; d < dim; d++) v[d] = Math.sin(i * 7.1 + d * 1.3);
  return v;
};

// A durable store: write, close, reopen, read back, filter, query.
const dir = mkdtempSync(join(tmpdir(), 'quiver-smoke-'));
try {
  const store = await q.VectorStore.open(join(dir, 'kb'), { dim, metric: 'cosine' });
  await store.upsert(Array.from({ length: 200 }, (_, i) => ({ id: `doc${i}`, vector: vectorOf(i), metadata: { even: i % 2 === 0, i } })));
  await store.close();
  const reopened = await q.VectorStore.open(join(dir, 'kb'), { dim, metric: 'cosine' });
  assert.equal(await reopened.count(), 200);
  const [rec] = await reopened.get(['doc7']);
  assert.deepEqual(rec.metadata, { even: false, i: 7 });
  const [top] = await reopened.query(vectorOf(42), { topK: 1 });
  assert.equal(top.id, 'doc42');
  const evens = await reopened.query(vectorOf(43), { topK: 5, filter: { even: true } });
  assert.ok(evens.length === 5 && evens.every((h) => h.metadata.even === true));
  await reopened.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// An HNSW graph: every stored vector finds itself.
const index = new cjs.HnswIndex({ dim, metric: 'euclidean', M: 16, efConstruction: 100 });
const n = 1000;
const all = new Float32Array(n * dim);
for (let i = 0; i < n; i++) all.set(vectorOf(i), i * dim);
index.add(Array.from({ length: n }, (_, i) => i), all);
for (let i = 0; i < n; i += 97) assert.equal(index.search(vectorOf(i), 1).labels[0], i);

// The LangChain entry, when the app has its peer dependency.
let langchain = 'not installed';
try {
  require.resolve('@langchain/core/package.json');
  const { QuiverVectorStore } = await import('quiverdb/langchain');
  const embeddings = { embedDocuments: async (texts) => texts.map((_, i) => Array.from(vectorOf(i))), embedQuery: async () => Array.from(vectorOf(1)) };
  const lc = await QuiverVectorStore.fromTexts(['zero', 'one', 'two'], [{}, {}, {}], embeddings);
  const [doc] = await lc.similaritySearch('one', 1);
  assert.equal(doc.pageContent, 'one');
  assert.ok(lc.store instanceof q.VectorStore, 'the LangChain entry shares the core');
  langchain = 'ok';
} catch (err) {
  if (err?.code !== 'MODULE_NOT_FOUND') throw err;
}

console.log(JSON.stringify({ ok: true, node: process.version, arch: process.arch, simd: q.simdLevel(), langchain }));
