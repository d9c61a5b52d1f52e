// minScore means the same in every mode (issue 12): a floor on the vector
// similarity of a hit to the query (the store's score: cosine, dot product,
// or minus the Euclidean distance), whether vector, keyword or hybrid search
// found the hit. RRF fused scores are at most ~0.033, so a floor on the fused
// score silently emptied hybrid results.
import { describe, expect, it } from 'vitest';
import { HashingEmbedder } from '../src/rag/embedders/hashing.js';
import { cosineSimilarity } from '../src/rag/mmr.js';
import { Retriever, type RetrievedHit } from '../src/rag/retriever.js';
import { VectorStore } from '../src/store/vector-store.js';

const corpus = [
  { id: 'reset', text: 'To reset your password, open the account page and click the reset link we email you.' },
  { id: 'faq', text: 'Password FAQ: passwords must be twelve characters. Reset links expire after one hour.' },
  { id: 'billing', text: 'Invoices are sent monthly. Update your billing address on the account page.' },
  { id: 'api', text: 'The API accepts a bearer token. Rotate tokens from the developer settings.' },
  { id: 'solar', text: 'Solar panels convert sunlight into electricity for homes and farms.' },
  { id: 'garden', text: 'Tomatoes need full sun, regular water and a stake to climb.' },
  { id: 'link', text: 'Email link tracking: a link in an email counts a click when opened.' },
];
const queries = ['password reset link', 'account page', 'email', 'solar electricity', 'bearer token rotation', 'unrelated zebra'];
const modes = ['vector', 'keyword', 'hybrid'] as const;

async function setup(metric: 'cosine' | 'euclidean' | 'ip' = 'cosine') {
  const embedder = new HashingEmbedder({ dim: 256 });
  const rag = new Retriever({ store: new VectorStore({ dim: 256, metric }), embedder, chunking: { chunkSize: 16, overlap: 0, minChunkSize: 0 } });
  await rag.addDocuments(corpus);
  return { rag, embedder };
}

const ids = (hits: RetrievedHit[]) => hits.map((h) => h.id).sort();

describe('minScore: one meaning in vector, keyword and hybrid mode', () => {
  it('regression: minScore 0.2 no longer empties hybrid results', async () => {
    const { rag } = await setup();
    const vector = await rag.retrieve('password reset link', { mode: 'vector', minScore: 0.2 });
    expect(vector.length).toBeGreaterThan(0);
    const hybrid = await rag.retrieve('password reset link', { mode: 'hybrid', minScore: 0.2 });
    expect(hybrid.length).toBeGreaterThan(0);
    for (const h of hybrid) {
      expect(h.score).toBeLessThan(0.05); // the fused (RRF) score: not what minScore compares
      expect(h.similarity).toBeGreaterThanOrEqual(0.2);
    }
  });

  it('every mode keeps exactly the candidates whose similarity reaches the floor', async () => {
    const { rag, embedder } = await setup();
    for (const query of queries) {
      const [qv] = await embedder.embed([query]);
      for (const minScore of [-1, 0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1]) {
        const all = { k: 100, fetchK: 100 };
        const vector = await rag.retrieve(query, { ...all, mode: 'vector', minScore });
        const hybrid = await rag.retrieve(query, { ...all, mode: 'hybrid', minScore });
        const keyword = await rag.retrieve(query, { ...all, mode: 'keyword', minScore });
        const keywordAll = await rag.retrieve(query, { ...all, mode: 'keyword' });
        for (const [mode, hits] of [['vector', vector], ['hybrid', hybrid], ['keyword', keyword]] as const) {
          for (const h of hits) {
            // The similarity reported is the chunk's cosine similarity to the query, and it passed the floor.
            const [cv] = await embedder.embed([h.text]);
            expect(h.similarity, `${mode} ${query} ${minScore}`).toBeCloseTo(cosineSimilarity(qv, cv), 5);
            expect(h.similarity as number).toBeGreaterThanOrEqual(minScore);
          }
        }
        for (const h of vector) expect(h.similarity).toBe(h.score);
        // Hybrid keeps every vector hit that passes (all of them are candidates: fetchK covers the store)...
        expect(ids(hybrid)).toEqual(expect.arrayContaining(ids(vector)));
        // ...and every keyword hit that passes.
        expect(ids(hybrid)).toEqual(expect.arrayContaining(ids(keyword)));
        // Keyword mode drops exactly the keyword hits below the floor.
        const passing = [];
        for (const h of keywordAll) {
          const [cv] = await embedder.embed([h.text]);
          if (cosineSimilarity(qv, cv) >= minScore - 1e-6) passing.push(h.id);
        }
        expect(ids(keyword)).toEqual(passing.sort());
        // A floor that keeps vector hits keeps hybrid hits.
        if (vector.length > 0) expect(hybrid.length).toBeGreaterThan(0);
      }
    }
  });

  it('is applied before k: up to k passing hits come back', async () => {
    const { rag } = await setup();
    const floor = 0.1;
    const passing = await rag.retrieve('account page password', { mode: 'hybrid', k: 100, fetchK: 100, minScore: floor });
    const two = await rag.retrieve('account page password', { mode: 'hybrid', k: 2, fetchK: 100, minScore: floor });
    expect(two.length).toBe(Math.min(2, passing.length));
    expect(two.map((h) => h.id)).toEqual(passing.slice(0, two.length).map((h) => h.id));
  });

  it('applies to the similarity with weighted fusion, MMR and expansion too', async () => {
    const { rag } = await setup();
    for (const extra of [{ fusion: { weights: { vector: 0.3, keyword: 0.7 } } }, { mmr: { lambda: 0.5 } }, { expand: 'document' as const }]) {
      const hits = await rag.retrieve('password reset link', { mode: 'hybrid', minScore: 0.2, ...extra });
      expect(hits.length).toBeGreaterThan(0);
      for (const h of hits) expect(h.similarity as number).toBeGreaterThanOrEqual(0.2);
    }
  });

  it('reports similarity on every vector and hybrid hit, and on keyword hits when asked', async () => {
    const { rag } = await setup();
    for (const h of await rag.retrieve('password', { mode: 'hybrid', k: 10 })) expect(typeof h.similarity).toBe('number');
    for (const h of await rag.retrieve('password', { mode: 'keyword', k: 10 })) expect(h.similarity).toBeUndefined();
  });

  it('euclidean and inner-product stores compare the store score (minus the distance, the dot product)', async () => {
    for (const metric of ['euclidean', 'ip'] as const) {
      const { rag } = await setup(metric);
      const vector = await rag.retrieve('password reset link', { mode: 'vector', k: 100 });
      const floor = vector[1].score; // keeps the best two vector hits
      for (const mode of modes) {
        const hits = await rag.retrieve('password reset link', { mode, k: 100, minScore: floor });
        for (const h of hits) expect(h.similarity as number).toBeGreaterThanOrEqual(floor - 1e-6);
        if (mode !== 'keyword') expect(hits.length).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('rejects a floor no hit can reach, and minRerankScore without rerank', async () => {
    const { rag } = await setup();
    for (const mode of modes) {
      await expect(rag.retrieve('x', { mode, minScore: 1.5 })).rejects.toThrow(/minScore: compared with the cosine similarity .*at most 1.*got 1.5/);
    }
    const { rag: euclid } = await setup('euclidean');
    await expect(euclid.retrieve('x', { minScore: 0.2 })).rejects.toThrow(/minus the Euclidean distance .*at most 0/);
    const { rag: ip } = await setup('ip');
    await expect(ip.retrieve('x', { minScore: 3 })).resolves.toEqual([]);
    await expect(rag.retrieve('x', { minRerankScore: 0.5 })).rejects.toThrow(/minRerankScore: applies to the scores of `rerank`/);
    await expect(rag.retrieve('x', { minScore: Number.NaN })).rejects.toThrow(/minScore: expected a number/);
  });

  it('minRerankScore thresholds the reranker score, minScore still the similarity', async () => {
    const { rag } = await setup();
    const rerank = (_q: string, cands: { docId: string }[]) => cands.map((c) => (c.docId === 'faq' ? 0.9 : 0.1));
    const hits = await rag.retrieve('password reset link', { rerank, minRerankScore: 0.5 });
    expect(hits.length).toBeGreaterThan(0);
    expect(new Set(hits.map((h) => h.docId))).toEqual(new Set(['faq']));
    const both = await rag.retrieve('password reset link', { rerank, minRerankScore: 0.05, minScore: 0.2, k: 20 });
    for (const h of both) expect(h.similarity as number).toBeGreaterThanOrEqual(0.2);
  });
});
