#!/usr/bin/env node
// Keyword retrieval on PostgreSQL: SciFact nDCG@10 of PostgreSQL full-text search
// (tsvector + ts_rank_cd / ts_rank, English configuration, OR of the query's
// lexemes) against quiverdb's BM25 sidecar (the Retriever's keyword index) with
// the chunks stored in PgVectorStore. PostgreSQL is PGlite (PostgreSQL compiled to
// WebAssembly, in process): the rankings are PostgreSQL's, the timings are not a
// native server's.
//
//   npm run build:ts && node bench/pg-scifact.mjs [../shared/datasets/scifact] [--limit 300]
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { loadBeir, evaluateRankings, Retriever, HashingEmbedder } from '../dist/index.js';
import { PgVectorStore } from '../dist/pg.js';

const args = process.argv.slice(2);
const limitAt = args.indexOf('--limit');
const limit = limitAt >= 0 ? Number(args.splice(limitAt, 2)[1]) : Infinity;
const folder = args[0] ?? new URL('../../shared/datasets/scifact', import.meta.url).pathname;
const data = await loadBeir(folder, 'test');
const queries = data.queries.slice(0, limit);
const judged = new Map([...data.qrels].filter(([q]) => queries.some((x) => x.id === q)));
console.log(`SciFact: ${data.corpus.length} documents, ${queries.length} test queries (PostgreSQL is PGlite, in process)`);

const db = await PGlite.create({ extensions: { vector } });
await db.exec('CREATE EXTENSION IF NOT EXISTS vector');

// 1. PostgreSQL full-text search over whole documents (title weighted A, text D).
let t = performance.now();
await db.exec(`CREATE TABLE docs (id text PRIMARY KEY, title text, body text,
  tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(body, '')), 'D')) STORED)`);
for (let i = 0; i < data.corpus.length; i += 500) {
  const rows = data.corpus.slice(i, i + 500).map((d) => ({ id: d.id, title: d.title, body: d.text }));
  await db.query(`INSERT INTO docs (id, title, body) SELECT id, title, body FROM json_to_recordset($1::text::json) AS r(id text, title text, body text)`, [JSON.stringify(rows)]);
}
await db.exec('CREATE INDEX docs_tsv ON docs USING gin (tsv)');
console.log(`full-text index built in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const ftsResults = {};
for (const [name, rank] of [['ts_rank_cd', 'ts_rank_cd(tsv, q, 1)'], ['ts_rank', 'ts_rank(tsv, q, 1)']]) {
  const rankings = new Map();
  t = performance.now();
  for (const q of queries) {
    // OR of the query's lexemes: plainto_tsquery ANDs them, which a long claim rarely fully matches.
    const r = await db.query(
      `WITH q AS (SELECT nullif(replace(plainto_tsquery('english', $1)::text, '&', '|'), '')::tsquery AS q)
       SELECT id FROM docs, q WHERE tsv @@ q.q ORDER BY ${rank} DESC, id LIMIT 100`, [q.text]);
    rankings.set(q.id, r.rows.map((row) => row.id));
  }
  const scores = evaluateRankings(rankings, judged);
  ftsResults[name] = { ...scores, msPerQuery: (performance.now() - t) / queries.length };
  console.log(`PostgreSQL FTS (${name}): nDCG@10 ${scores.ndcg10.toFixed(4)}, Recall@100 ${scores.recall100.toFixed(4)}, ${(ftsResults[name].msPerQuery).toFixed(1)} ms/query`);
}

// 2. The BM25 sidecar: a Retriever in keyword mode with its chunks in PgVectorStore.
const embedder = new HashingEmbedder({ dim: 384 });
const store = await PgVectorStore.open({ client: db, table: 'chunks', dim: 384, metric: 'cosine', index: { M: 8, efConstruction: 16 } });
const rag = new Retriever({ store, embedder, keyword: true, chunking: { chunkSize: 512, overlap: 50 } });
t = performance.now();
for (let i = 0; i < data.corpus.length; i += 500) {
  await rag.addDocuments(data.corpus.slice(i, i + 500).map((d) => ({ id: d.id, text: d.title ? `${d.title}\n\n${d.text}` : d.text })));
}
console.log(`Retriever ingest into PgVectorStore: ${await store.count()} chunks in ${((performance.now() - t) / 1000).toFixed(1)} s`);
const rankings = new Map();
t = performance.now();
for (const q of queries) {
  const hits = await rag.retrieve(q.text, { k: 150, mode: 'keyword', fetchK: 150 });
  const seen = new Set();
  const ranking = [];
  for (const h of hits) if (!seen.has(h.docId) && ranking.length < 100) (seen.add(h.docId), ranking.push(h.docId));
  rankings.set(q.id, ranking);
}
const bm25 = evaluateRankings(rankings, judged);
const bm25Ms = (performance.now() - t) / queries.length;
console.log(`BM25 sidecar on PgVectorStore: nDCG@10 ${bm25.ndcg10.toFixed(4)}, Recall@100 ${bm25.recall100.toFixed(4)}, ${bm25Ms.toFixed(1)} ms/query`);
const best = Math.max(ftsResults.ts_rank_cd.ndcg10, ftsResults.ts_rank.ndcg10) > bm25.ndcg10 ? 'PostgreSQL full-text search' : 'the BM25 sidecar';
console.log(`better SciFact nDCG@10: ${best} (BEIR paper BM25: 0.665)`);
await store.close();
await db.close();
