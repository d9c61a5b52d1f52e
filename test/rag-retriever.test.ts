// Retriever over a real VectorStore with the hashing embedder: ingest and
// re-ingest, deletion, the three modes, filters, fusion, rerank, minScore,
// MMR, parent expansion, persistence of the keyword index, and context packing.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VectorStore } from '../src/store/vector-store.js';
import { Retriever } from '../src/rag/retriever.js';
import { HashingEmbedder } from '../src/rag/embedders/hashing.js';
import { buildContext, reorderForContext } from '../src/rag/context.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const embedder = new HashingEmbedder({ dim: 256 });
const newRag = (o: Partial<ConstructorParameters<typeof Retriever>[0]> = {}) =>
  new Retriever({ store: new VectorStore({ dim: 256, metric: 'cosine' }), embedder, chunking: { chunkSize: 64, overlap: 8 }, ...o });

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

describe('Retriever', () => {
  it('ingests documents into stable chunk ids and finds the relevant passage in every mode', async () => {
    const rag = newRag();
    const added = await rag.addDocuments(corpus);
    expect(added[0].chunkIds.length).toBeGreaterThan(1);
    expect(added[0].chunkIds[0]).toBe('manual#0');
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const hits = await rag.retrieve('how do I reset my password?', { k: 3, mode });
      expect(hits.length).toBeGreaterThan(0);
      expect(['manual', 'faq']).toContain(hits[0].docId);
      expect(hits[0].text).toMatch(/password/i);
      expect(hits[0]).toMatchObject({ id: `${hits[0].docId}#${hits[0].chunkIndex}` });
      expect(hits[0].metadata.source).toMatch(/manual.pdf|faq.md/);
      expect(Object.keys(hits[0].metadata).some((key) => key.startsWith('_'))).toBe(false);
      for (let i = 1; i < hits.length; i++) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score);
      expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length); // deduplicated
    }
  });

  it('returns [] when nothing is relevant, rather than padding', async () => {
    const rag = newRag();
    await rag.addDocuments(corpus);
    expect(await rag.retrieve('zyxwv qwerty', { mode: 'hybrid' })).toEqual([]);
    expect(await rag.retrieve('zyxwv qwerty', { mode: 'keyword' })).toEqual([]);
    expect(await newRag().retrieve('password')).toEqual([]);
  });

  it('replaces all chunks on re-add: no stale chunks survive a shorter re-ingest', async () => {
    const rag = newRag();
    await rag.addDocuments(corpus);
    const before = rag.store.size;
    await rag.addDocuments([{ id: 'manual', text: 'Now the manual only covers printers and toner.', metadata: { source: 'manual-v2.pdf' } }]);
    const manualChunks = await rag.store.count({ _docId: 'manual' });
    expect(manualChunks).toBe(1);
    expect(rag.store.size).toBeLessThan(before);
    const hits = await rag.retrieve('offline mode field workers', { k: 5, mode: 'keyword' });
    expect(hits.every((h) => h.docId !== 'manual')).toBe(true);
    const printer = await rag.retrieve('printers toner', { k: 1 });
    expect(printer[0]).toMatchObject({ docId: 'manual', metadata: { source: 'manual-v2.pdf' } });
  });

  it('deletes documents from both the store and the keyword index', async () => {
    const rag = newRag();
    await rag.addDocuments(corpus);
    const removed = await rag.deleteDocuments(['manual', 'missing']);
    expect(removed).toBeGreaterThan(1);
    expect(await rag.store.count({ _docId: 'manual' })).toBe(0);
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      const hits = await rag.retrieve('offline mode sync device', { mode });
      expect(hits.every((h) => h.docId !== 'manual')).toBe(true);
    }
  });

  it('applies metadata filters to both vector and keyword candidates', async () => {
    const rag = newRag();
    await rag.addDocuments(corpus);
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const hits = await rag.retrieve('password reset', { mode, filter: { source: 'faq.md' }, k: 5 });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((h) => h.metadata.source === 'faq.md')).toBe(true);
    }
    expect(await rag.retrieve('password', { filter: { lang: 'fr' } })).toEqual([]);
  });

  it('filters keyword candidates when most of a large store matches the filter', async () => {
    const rag = newRag();
    const docs = Array.from({ length: 6000 }, (_, i) => ({
      id: `d${i}`,
      text: `item ${i} mentions ${i % 3 === 0 ? 'turbine' : 'pump'} maintenance`,
      metadata: { group: i % 10 === 0 ? 'b' : 'a' },
    }));
    await rag.addDocuments(docs);
    const hits = await rag.retrieve('turbine maintenance', { k: 10, mode: 'keyword', filter: { group: 'a' } });
    expect(hits).toHaveLength(10);
    for (const h of hits) {
      expect(h.metadata.group).toBe('a');
      expect(h.text).toContain('turbine');
    }
    const fewer = await rag.retrieve('turbine maintenance', { k: 10, mode: 'keyword', filter: { group: 'b' } });
    expect(fewer.every((h) => h.metadata.group === 'b' && h.text.includes('turbine'))).toBe(true);
  });

  it('fuses with weights when asked, reranks, and drops weak hits with minScore', async () => {
    const rag = newRag();
    await rag.addDocuments(corpus);
    const weighted = await rag.retrieve('password reset link', { k: 4, fusion: { weights: { vector: 0.5, keyword: 0.5 } } });
    expect(weighted[0].score).toBeLessThanOrEqual(1);
    expect(weighted[0].score).toBeGreaterThan(0.5);
    // A reranker that prefers the FAQ wins over fusion order.
    const reranked = await rag.retrieve('password', {
      k: 2,
      rerank: async (_q, cands) => cands.map((c) => (c.docId === 'faq' ? 10 : 1)),
    });
    expect(reranked[0].docId).toBe('faq');
    expect(reranked[0].score).toBe(10);
    const strict = await rag.retrieve('password', {
      rerank: async (_q, cands) => cands.map((c) => (c.docId === 'faq' ? 0.9 : 0.1)),
      minRerankScore: 0.5,
    });
    expect(strict.map((h) => h.docId)).toEqual(['faq']);
    await expect(rag.retrieve('password', { rerank: async () => [1] })).rejects.toThrow(/rerank: expected an array of \d+ numbers/);
  });

  it('diversifies with MMR using the stored vectors', async () => {
    const rag = newRag({ chunking: { chunkSize: 20, overlap: 0, minChunkSize: 0 } });
    const dup = 'Solar panels convert sunlight into electricity for homes.';
    await rag.addDocuments([
      { id: 'a', text: dup },
      { id: 'b', text: dup },
      { id: 'c', text: 'Solar farms sell electricity to the grid at noon.' },
    ]);
    const plain = await rag.retrieve('solar panels electricity homes', { k: 2, mode: 'vector' });
    expect(plain.map((h) => h.docId).sort()).toEqual(['a', 'b']);
    const diverse = await rag.retrieve('solar panels electricity homes', { k: 2, mode: 'vector', mmr: { lambda: 0.3, fetchK: 10 } });
    expect(diverse.map((h) => h.docId)).toContain('c');
  });

  it('expands matched chunks to their section or document, deduplicated', async () => {
    const rag = newRag({ chunking: { chunkSize: 16, overlap: 0, minChunkSize: 0, format: 'markdown' } });
    const md = [
      '# Install',
      '',
      'Install with npm. It needs Node 20. The native addon builds with cmake.',
      '',
      '## Troubleshooting',
      '',
      'If cmake is missing, install it. If the build fails, read the log.',
      '',
      '# Usage',
      '',
      'Create a store. Add vectors. Query them.',
    ].join('\n');
    await rag.addDocuments([{ id: 'readme', text: md, metadata: { kind: 'doc' } }]);
    const chunks = await rag.retrieve('cmake build', { k: 5 });
    expect(chunks.length).toBeGreaterThan(1);
    const sections = await rag.retrieve('cmake build', { k: 5, expand: 'section' });
    expect(new Set(sections.map((s) => s.id)).size).toBe(sections.length);
    const install = sections.find((s) => s.text.startsWith('# Install'));
    expect(install?.text).toBe('# Install\n\nInstall with npm. It needs Node 20. The native addon builds with cmake.');
    expect(install?.metadata.headers).toEqual(['Install']);
    expect(md.slice(install!.start, install!.end)).toBe(install!.text);
    const docs = await rag.retrieve('cmake build', { k: 5, expand: 'document' });
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ id: 'readme', docId: 'readme', text: md, metadata: { kind: 'doc' } });
    expect(docs[0].chunks!.length).toBeGreaterThan(1);
  });

  it('orders and packs hits into a cited context', async () => {
    const rag = newRag();
    await rag.addDocuments(corpus);
    const hits = await rag.retrieve('password reset', { k: 4 });
    const { text, citations } = buildContext(reorderForContext(hits), { maxTokens: 60 });
    expect(citations.length).toBeGreaterThan(0);
    expect(text).toContain('[1] ');
    for (const c of citations) {
      const hit = hits.find((h) => h.id === c.id)!;
      expect(c).toMatchObject({ docId: hit.docId, chunkIndex: hit.chunkIndex, start: hit.start, end: hit.end });
    }
  });

  it('validates input and changes nothing on a failed add', async () => {
    const rag = newRag();
    await expect(rag.addDocuments([{ id: 'ok', text: 'fine' }, { id: '', text: 'x' }])).rejects.toThrow(/docs\[1\]\.id/);
    await expect(rag.addDocuments([{ id: 'a', text: 'x', metadata: { _docId: 'evil' } }])).rejects.toThrow(/reserved/);
    const failing = { id: 'boom', dim: 256, embed: async () => { throw new Error('embedding service down'); } };
    const rag2 = new Retriever({ store: rag.store, embedder: failing });
    await expect(rag2.addDocuments([{ id: 'x', text: 'hello world' }])).rejects.toThrow(/embedding service down/);
    expect(rag.store.size).toBe(0);
    expect(newRag({ embeddingCache: false }).cacheStats()).toBeUndefined();
    expect(() => new Retriever({ store: new VectorStore({ dim: 8 }), embedder })).toThrow(/embedder.dim \(256\) must equal store.dim \(8\)/);
    await expect(rag.retrieve('x', { mode: 'fuzzy' as never })).rejects.toThrow(/mode/);
    const vectorOnly = newRag({ keyword: false });
    await expect(vectorOnly.retrieve('x', { mode: 'keyword' })).rejects.toThrow(/keyword index/);
  });

  it('a Retriever over a read-only follower retrieves, and writes nothing into the writer\'s directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rag-'));
    dirs.push(dir);
    const store = await VectorStore.open(join(dir, 'db'), { dim: 256, metric: 'cosine' });
    const rag = new Retriever({ store, embedder });
    await rag.addDocuments(corpus);
    await rag.retrieve('password reset', { k: 3, mode: 'keyword' }); // the writer's keyword index, unsaved
    const files = () => readdirSync(join(dir, 'db')).sort();
    const before = files();
    const follower = new Retriever({ store: await VectorStore.open(join(dir, 'db'), { readOnly: true }), embedder, embeddingCache: { persist: true } });
    for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
      const hits = await follower.retrieve('password reset', { k: 3, mode });
      expect(hits.length).toBeGreaterThan(0);
    }
    await expect(follower.addDocuments(corpus.slice(0, 1))).rejects.toThrow(/opened read-only/);
    await follower.close();
    expect(files()).toEqual(before);
    await rag.close();
  });

  it('caches embeddings and persists keyword index and cache beside a durable store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rag-'));
    dirs.push(dir);
    const store = await VectorStore.open(join(dir, 'db'), { dim: 256, metric: 'cosine' });
    const rag = new Retriever({ store, embedder, embeddingCache: { persist: true } });
    await rag.addDocuments(corpus);
    await rag.addDocuments(corpus); // all chunks already embedded
    expect(rag.cacheStats()!.hits).toBeGreaterThan(0);
    const before = await rag.retrieve('password reset', { k: 3, mode: 'keyword' });
    await rag.close();
    const reopened = new Retriever({ store: await VectorStore.open(join(dir, 'db')), embedder, embeddingCache: { persist: true } });
    const after = await reopened.retrieve('password reset', { k: 3, mode: 'keyword' });
    expect(after).toEqual(before);
    await reopened.addDocuments(corpus.slice(0, 1)); // embeddings come from the saved cache file
    expect(reopened.cacheStats()).toMatchObject({ misses: 0 });
    expect(reopened.cacheStats()!.hits).toBeGreaterThan(0);
    // Writes without save(): the stale keyword file is not trusted on the next open.
    await reopened.deleteDocuments(['faq']);
    await reopened.store.close!();
    const third = new Retriever({ store: await VectorStore.open(join(dir, 'db')), embedder });
    const hits = await third.retrieve('password reset', { k: 5, mode: 'keyword' });
    expect(hits.every((h) => h.docId !== 'faq')).toBe(true);
    expect(hits.length).toBeGreaterThan(0);
    await third.close();
  });
});
