// Searches while several addAsync calls run at once (and a remove in between):
// no crash, every result well formed, no insert lost.
import { describe, expect, it } from 'vitest';
import { HnswIndex } from '../src/index.js';
import { randomVectors } from './helpers/reference.js';

describe('HnswIndex concurrency', () => {
  it('addAsync x4 + searchAsync/searchBatchAsync/sync searches + remove: consistent results, nothing lost', async () => {
    const dim = 16;
    const initial = 2000, perBatch = 3000, batches = 4;
    const idx = new HnswIndex({ dim, metric: 'euclidean', efConstruction: 64 });
    idx.add(Float64Array.from({ length: initial }, (_, i) => i), randomVectors(initial, dim, 1));
    const batchVectors = Array.from({ length: batches }, (_, b) => randomVectors(perBatch, dim, 10 + b));
    const batchLabels = Array.from({ length: batches }, (_, b) =>
      Float64Array.from({ length: perBatch }, (_, i) => 100_000 * (b + 1) + i));
    const known = new Set<number>([...Array(initial).keys()]);
    for (const ls of batchLabels) for (const l of ls) known.add(l);

    let done = false;
    const adds = Promise.all(batchLabels.map((ls, b) => idx.addAsync(ls, batchVectors[b], { threads: 2 })))
      .finally(() => { done = true; });
    const queries = randomVectors(64, dim, 99);
    const checkRow = (labels: Float64Array, distances: Float32Array) => {
      expect(labels.length).toBe(10);
      expect(new Set(labels).size).toBe(10);
      for (const l of labels) expect(known.has(l)).toBe(true);
      for (let j = 1; j < distances.length; j++) expect(distances[j]).toBeGreaterThanOrEqual(distances[j - 1]);
    };
    let searches = 0;
    const searchLoop = async () => {
      let i = 0;
      while (!done) {
        const q = queries.subarray((i % 64) * dim, (i % 64 + 1) * dim);
        const a = await idx.searchAsync(q, 10, { ef: 32 });
        checkRow(a.labels, a.distances);
        const s = idx.search(q, 10);
        checkRow(s.labels, s.distances);
        const b = await idx.searchBatchAsync(queries.subarray(0, 8 * dim), 10, { threads: 2 });
        for (let r = 0; r < 8; r++) checkRow(b.labels.subarray(r * 10, r * 10 + 10), b.distances.subarray(r * 10, r * 10 + 10));
        if (i === 0) idx.remove([0, 1, 2]);
        i++;
        searches += 3;
      }
    };
    await Promise.all([adds, searchLoop(), searchLoop()]);
    expect(searches).toBeGreaterThan(0);
    expect(idx.size).toBe(initial - 3 + batches * perBatch);
    const missed: number[] = [];
    let probes = 0;
    for (let b = 0; b < batches; b++) {
      for (let i = 0; i < perBatch; i += 97) {
        const v = batchVectors[b].subarray(i * dim, (i + 1) * dim);
        expect(idx.has(batchLabels[b][i])).toBe(true);
        expect([...idx.get(batchLabels[b][i])!]).toEqual([...v]);
        // Approximate search: ask for the vector itself among its 10 nearest at a generous ef.
        probes++;
        if (![...idx.search(v, 10, { ef: 200 }).labels].includes(batchLabels[b][i])) missed.push(batchLabels[b][i]);
      }
    }
    // H1: parallel inserts used to leave nodes no search can reach (up to 25 of 14,000; the
    // native H1 test checks that none is left). A reachable vector can still be missed at
    // ef 200, very rarely (at most 10 of 14,000 measured): allow 2 of these 124 probes.
    expect(probes).toBe(124);
    expect(missed.length, `not found among their own 10 nearest: ${missed.join(', ')}`).toBeLessThanOrEqual(2);
  }, 60_000);
});
