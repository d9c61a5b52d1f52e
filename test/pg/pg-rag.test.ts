// The RAG layer and the LangChain adapter on PgVectorStore (PGlite): Retriever
// ingest, vector/keyword/hybrid retrieval, MMR, filters, re-ingest without stale
// chunks and document deletion give the same answers as on the in-process store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { VectorStore } from '../../src/store/vector-store.js';
import { Retriever, type RetrieverStore } from '../../src/rag/retriever.js';
import { HashingEmbedder } from '../../src/rag/embedders/hashing.js';
import { QuiverVectorStore } from '../../src/langchain/index.js';
import { PgVectorStore } from '../../src/pg/index.js';
import { newPglite } from './engines.js';

let db: PGlite;
beforeAll(async () => {
  db = await newPglite();
});
afterAll(async () => {
  await db?.close();
});

const embedder = new HashingEmbedder({ dim: 128 });
const manual = [
  'To reset your password, open Settings and choose Security.',
  'Then click "Reset password" and follow the link we email you.',
  'Billing questions go to the billing team.',
  'Invoices are sent on the first day of every month.',
  'The mobile app supports offline mode for field workers.',
  'Offline changes sync automatically when the device reconnects.',
].join(' ');
const corpus = [
  { id: 'manual', text: manual, metadata: { source: 'manual.pdf', lang: 'en' } },
  { id: 'faq', text: 'Forgot your password? Use the reset link on the sign-in page. Passwords expire after 90 days.', metadata: { source: 'faq.md', lang: 'en' } },
  { id: 'recipes', text: 'Bake the bread at 220 degrees for forty minutes. Let it cool before slicing.', metadata: { source: 'recipes.txt', lang: 'en' } },
  { id: 'news', text: 'Quarterly revenue grew by twelve percent, driven by subscriptions.', metadata: { source: 'news.txt', lang: 'de' } },
];

async function bothRetrievers(table: string): Promise<[Retriever, Retriever, PgVectorStore]> {
  const pgStore = await PgVectorStore.open({ client: db, table, dim: 128, metric: 'cosine' });
  const opts = { embedder, chunking: { chunkSize: 64, overlap: 8 } };
  const local = new Retriever({ store: new VectorStore({ dim: 128, metric: 'cosine' }), ...opts });
  const onPg = new Retriever({ store: pgStore satisfies RetrieverStore, ...opts });
  return [local, onPg, pgStore];
}

const view = (hits: { id: string; score: number }[]) => hits.map((h) => [h.id, Number(h.score.toFixed(5))]);

describe('Retriever on PgVectorStore', () => {
  it('ingest, then every mode, filters and MMR answer as on the in-process store', async () => {
    const [local, onPg] = await bothRetrievers('rag_modes');
    expect(await onPg.addDocuments(corpus)).toEqual(await local.addDocuments(corpus));
    for (const q of ['how do I reset my password', 'offline mode sync', 'bread baking temperature', 'revenue']) {
      for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
        const a = await local.retrieve(q, { k: 4, mode });
        const b = await onPg.retrieve(q, { k: 4, mode });
        expect(view(b), `${mode}: ${q}`).toEqual(view(a));
      }
      const fa = await local.retrieve(q, { k: 3, filter: { lang: 'en', source: { $ne: 'faq.md' } } });
      const fb = await onPg.retrieve(q, { k: 3, filter: { lang: 'en', source: { $ne: 'faq.md' } } });
      expect(view(fb)).toEqual(view(fa));
      const ma = await local.retrieve(q, { k: 3, mmr: { lambda: 0.5 } });
      const mb = await onPg.retrieve(q, { k: 3, mmr: { lambda: 0.5 } });
      expect(view(mb)).toEqual(view(ma));
    }
    const top = await onPg.retrieve('how do I reset my password', { k: 1 });
    expect(String(top[0].text)).toMatch(/password/i);
  });

  it('re-ingest leaves no stale chunks; deleteDocuments removes every chunk', async () => {
    const [local, onPg, pgStore] = await bothRetrievers('rag_reingest');
    await local.addDocuments(corpus);
    await onPg.addDocuments(corpus);
    const before = await pgStore.count({ _docId: 'manual' });
    expect(before).toBeGreaterThan(1);
    const shorter = [{ id: 'manual', text: 'Passwords are reset from Settings.', metadata: { source: 'manual.pdf', lang: 'en' } }];
    await local.addDocuments(shorter);
    await onPg.addDocuments(shorter);
    expect(await pgStore.count({ _docId: 'manual' })).toBe(1);
    expect(view(await onPg.retrieve('billing invoices', { k: 5, mode: 'hybrid' }))).toEqual(view(await local.retrieve('billing invoices', { k: 5, mode: 'hybrid' })));
    expect(await onPg.deleteDocuments(['faq', 'news'])).toBe(await local.deleteDocuments(['faq', 'news']));
    expect(await pgStore.count()).toBe(1 + (await pgStore.count({ _docId: 'recipes' })));
    // A second Retriever on the same table (another application server) rebuilds its keyword index from the table.
    const second = new Retriever({ store: await PgVectorStore.open({ client: db, table: 'rag_reingest' }), embedder, chunking: { chunkSize: 64, overlap: 8 } });
    expect(view(await second.retrieve('bread', { k: 2, mode: 'keyword' }))).toEqual(view(await local.retrieve('bread', { k: 2, mode: 'keyword' })));
    await onPg.close(); // closes the store, not the database
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});

describe('LangChain adapter on PgVectorStore', () => {
  it('adds, searches with filters and scores, MMR, deletes by id and filter', async () => {
    const embeddings = new SyntheticEmbeddings({ vectorSize: 16 });
    const pgStore = await PgVectorStore.open({ client: db, table: 'lc_docs', dim: 16, metric: 'cosine' });
    const onPg = new QuiverVectorStore(embeddings, { store: pgStore });
    const local = new QuiverVectorStore(embeddings, { store: new VectorStore({ dim: 16, metric: 'cosine' }) });
    const texts = ['apples and pears', 'a red apple', 'bananas', 'cherry pie', 'apple pie recipe', 'pear tart'];
    const metas = texts.map((_, i) => ({ i, kind: i % 2 ? 'odd' : 'even' }));
    const ids = texts.map((_, i) => `d${i}`);
    for (const vs of [onPg, local]) await vs.addDocuments(texts.map((t, i) => ({ pageContent: t, metadata: metas[i] })), { ids });
    const a = await local.similaritySearchWithScore('apple', 3, { kind: 'even' });
    const b = await onPg.similaritySearchWithScore('apple', 3, { kind: 'even' });
    expect(b.map(([d, s]) => [d.id, d.pageContent, d.metadata, s.toFixed(5)])).toEqual(a.map(([d, s]) => [d.id, d.pageContent, d.metadata, s.toFixed(5)]));
    const ma = await local.maxMarginalRelevanceSearch('pie', { k: 2, fetchK: 5 });
    const mb = await onPg.maxMarginalRelevanceSearch('pie', { k: 2, fetchK: 5 });
    expect(mb.map((d) => d.id)).toEqual(ma.map((d) => d.id));
    await onPg.delete({ ids: ['d0'] });
    await onPg.delete({ filter: { kind: 'odd' } });
    expect(await pgStore.count()).toBe(2);
    expect(onPg.store).toBe(pgStore);
  });
});
