// Recall@10 of a VectorStore (2,000 x 256 cosine, low-rank mixture seed 7, threshold 1000) per index.quantization and efSearch, against exact search.
import { VectorStore, FlatIndex } from '../../../dist/index.js';
import { generateGaussianMixture } from '../../lib/gaussian-mixture.mjs';
const dim = 256, n = 2000, nq = 40, k = 10;
const g = generateGaussianMixture({ n, dim, queries: nq, seed: 7 });
const ids = Array.from({ length: n }, (_, i) => `v${i}`);
const exact = new VectorStore({ dim, metric: 'cosine', index: { type: 'flat' } });
await exact.upsert({ ids, vectors: g.base });
const truth = [];
for (let i = 0; i < nq; i++) truth.push(new Set((await exact.query(g.queries.subarray(i * dim, (i + 1) * dim), { topK: k })).map((h) => h.id)));
for (const quantization of ['none', 'int8', 'rabitq']) {
  const s = new VectorStore({ dim, metric: 'cosine', index: { threshold: 1000, quantization } });
  await s.upsert({ ids, vectors: g.base }); await s.flush();
  const row = [];
  for (const ef of [10, 16, 32, 64, 128]) {
    let f = 0;
    for (let i = 0; i < nq; i++) for (const h of await s.query(g.queries.subarray(i * dim, (i + 1) * dim), { topK: k, efSearch: ef })) if (truth[i].has(h.id)) f++;
    row.push(`ef ${ef}: ${(f / (nq * k)).toFixed(3)}`);
  }
  console.log(quantization, s.activeIndex, s.quantization, row.join(', '));
  await s.close();
}
