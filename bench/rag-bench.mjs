#!/usr/bin/env node
// RAG layer performance on SciFact (5,183 abstracts):
//  - ingest throughput (chunk + BM25 + hashing embed + upsert) in MB of text per second,
//    plus each stage alone, median of --runs runs;
//  - retrieve latency with a precomputed query embedding (hybrid, vector, keyword),
//    median and p95 over the 300 test queries after a warm-up.
// Usage: npm run build:ts && node bench/rag-bench.mjs [--dataset ../shared/datasets/scifact] [--runs 3] [--k 10] [--dim 384]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const q = await import(join(root, 'dist', 'index.js'));
const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: resolve(root, '../shared/datasets/scifact') },
    runs: { type: 'string', default: '3' },
    k: { type: 'string', default: '10' },
    dim: { type: 'string', default: '384' },
  },
});
if (!existsSync(join(values.dataset, 'corpus.jsonl'))) {
  console.error(`rag-bench: ${values.dataset} not found (needs a BEIR folder such as ../shared/datasets/scifact)`);
  process.exit(2);
}
const runs = Number(values.runs);
const k = Number(values.k);
const dim = Number(values.dim);

const data = await q.loadBeir(values.dataset);
const docs = data.corpus.map((d) => ({ id: d.id, text: d.title ? `${d.title}\n\n${d.text}` : d.text }));
const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d.text), 0);
const mb = bytes / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const time = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

console.log(`SciFact: ${docs.length} documents, ${mb.toFixed(2)} MB of text; node ${process.version}; ${runs} runs, median`);

// Stages alone.
const stageMs = { chunk: [], bm25: [], hashing: [], upsert: [] };
for (let r = 0; r < runs; r++) {
  let chunks;
  stageMs.chunk.push(await time(() => { chunks = docs.map((d) => q.chunkText(d.text)); }));
  const flat = chunks.flatMap((cs, i) => cs.map((c) => ({ id: `${docs[i].id}#${c.index}`, text: c.text })));
  stageMs.bm25.push(await time(() => new q.BM25Index().add(flat)));
  const emb = new q.HashingEmbedder({ dim });
  let vectors;
  stageMs.hashing.push(await time(async () => { vectors = await emb.embed(flat.map((c) => c.text)); }));
  const store = new q.VectorStore({ dim, metric: 'cosine' });
  const records = flat.map((c, i) => ({ id: c.id, vector: vectors[i], metadata: { _text: c.text, _docId: c.id } }));
  stageMs.upsert.push(await time(() => store.upsert(records)));
}

// Full ingest through the Retriever.
const ingestMs = [];
let rag;
for (let r = 0; r < runs; r++) {
  const candidate = new q.Retriever({ store: new q.VectorStore({ dim, metric: 'cosine' }), embedder: new q.HashingEmbedder({ dim }) });
  ingestMs.push(await time(async () => {
    for (let i = 0; i < docs.length; i += 500) await candidate.addDocuments(docs.slice(i, i + 500));
  }));
  rag = candidate;
}

// The same in a single addDocuments call (all 5,183 documents at once).
const singleCallMs = [];
for (let r = 0; r < runs; r++) {
  const once = new q.Retriever({ store: new q.VectorStore({ dim, metric: 'cosine' }), embedder: new q.HashingEmbedder({ dim }) });
  singleCallMs.push(await time(() => once.addDocuments(docs)));
}

// Retrieval latency with precomputed query embeddings.
const embedder = new q.HashingEmbedder({ dim });
const queries = data.queries;
const qvs = await embedder.embed(queries.map((x) => x.text));
const latency = {};
for (const mode of ['hybrid', 'vector', 'keyword']) {
  for (let i = 0; i < 100; i++) await rag.retrieve(queries[i % queries.length].text, { k, mode, queryVector: qvs[i % queries.length] });
  const ts = [];
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < queries.length; i++) {
      const t = performance.now();
      await rag.retrieve(queries[i].text, { k, mode, queryVector: qvs[i] });
      ts.push(performance.now() - t);
    }
  }
  latency[mode] = { medianMs: median(ts), p95Ms: pct(ts, 0.95) };
}
const withMmr = [];
for (let i = 0; i < queries.length; i++) {
  const t = performance.now();
  await rag.retrieve(queries[i].text, { k, mode: 'hybrid', queryVector: qvs[i], mmr: { lambda: 0.5, fetchK: 20 } });
  withMmr.push(performance.now() - t);
}
latency['hybrid+mmr'] = { medianMs: median(withMmr), p95Ms: pct(withMmr, 0.95) };

const result = {
  dataset: values.dataset,
  documents: docs.length,
  chunks: rag.store.size,
  megabytes: mb,
  dim,
  k,
  ingest: { medianMs: median(ingestMs), mbPerSecond: mb / (median(ingestMs) / 1000), runsMs: ingestMs },
  ingestSingleCall: { medianMs: median(singleCallMs), mbPerSecond: mb / (median(singleCallMs) / 1000), runsMs: singleCallMs },
  stagesMbPerSecond: Object.fromEntries(Object.entries(stageMs).map(([s, ms]) => [s, mb / (median(ms) / 1000)])),
  retrieve: latency,
};
console.log(`ingest (chunk + BM25 + hashing embed + upsert), batches of 500 documents: ${result.ingest.mbPerSecond.toFixed(2)} MB/s (median ${result.ingest.medianMs.toFixed(0)} ms; runs ${ingestMs.map((x) => x.toFixed(0)).join(', ')} ms)`);
console.log(`ingest in one addDocuments call: ${result.ingestSingleCall.mbPerSecond.toFixed(2)} MB/s (median ${result.ingestSingleCall.medianMs.toFixed(0)} ms)`);
for (const [s, v] of Object.entries(result.stagesMbPerSecond)) console.log(`  ${s.padEnd(8)} alone: ${v.toFixed(1)} MB/s`);
for (const [m, v] of Object.entries(latency)) console.log(`retrieve ${m.padEnd(11)} k=${k}, precomputed query vector: median ${v.medianMs.toFixed(3)} ms, p95 ${v.p95Ms.toFixed(3)} ms`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'rag.json'), JSON.stringify(result, null, 2) + '\n');
