// usearch (Unum): HNSW with threaded insertion and batch search. Its JS API fixes
// expansion_search (ef) at construction, so a new ef reloads the saved index into an Index
// constructed with that ef (outside the timed loops). No filtered search in the JS API.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageVersion, toInt32 } from './shared.mjs';

const require = createRequire(import.meta.url);
export const info = { name: 'usearch', label: 'usearch', kind: 'hnsw' };
const METRICS = { euclidean: 'l2sq', cosine: 'cos', ip: 'ip' };

export async function probe() {
  try {
    require('usearch');
    return { available: true, version: packageVersion(require, 'usearch'), notes: 'no filtered search in the JS API' };
  } catch (e) {
    return { available: false, reason: `package usearch is not installed (${e.code ?? e.message}); npm install --save-dev usearch` };
  }
}

export async function create({ dim, metric }) {
  const { Index } = require('usearch');
  let config = null;
  let index = null;
  let currentEf = -1;
  let scratchDir = null;
  const open = (ef) => new Index({ ...config, expansion_search: ef });
  const setEf = (ef) => {
    if (ef === currentEf) return;
    scratchDir ??= mkdtempSync(join(tmpdir(), 'quiver-bench-usearch-'));
    const file = join(scratchDir, 'index.usearch');
    index.save(file);
    index = null;
    globalThis.gc?.(); // free the previous copy before loading the next (keeps peak RSS honest)
    const next = open(ef);
    next.load(file);
    index = next;
    currentEf = ef;
  };
  return {
    capabilities: { threadedBuild: true, batchThreads: 'all', filter: false, persistence: true, exact: false },
    build(vectors, { M, efConstruction, threads, onProgress } = {}) {
      config = { dimensions: dim, metric: METRICS[metric], quantization: 'f32', connectivity: M, expansion_add: efConstruction, multi: false };
      currentEf = 64;
      index = open(currentEf);
      const n = vectors.length / dim, chunk = 10_000;
      for (let start = 0; start < n; start += chunk) {
        const count = Math.min(chunk, n - start);
        const keys = new BigUint64Array(count);
        for (let i = 0; i < count; i++) keys[i] = BigInt(start + i);
        index.add(keys, vectors.subarray(start * dim, (start + count) * dim), threads);
        onProgress?.(start + count, n);
      }
    },
    search(q, k, ef) {
      setEf(ef);
      return index.search(q, k, 1).keys;
    },
    searchBatch(qs, nq, k, ef, threads) {
      setEf(ef);
      const r = index.search(qs, k, threads);
      if (nq === 1) return toInt32(r.keys, k);
      return toInt32(r.keys, nq * k);
    },
    save(path) { index.save(path); },
    load(path) {
      index = null;
      globalThis.gc?.();
      const next = open(currentEf);
      next.load(path);
      index = next;
    },
    memory: () => null,
    close() {
      index = null;
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
    },
  };
}
