// hnswlib-node: Node bindings of hnswlib (single-threaded insertion, no batch search API,
// filters through a JS callback per candidate).
import { createRequire } from 'node:module';
import { packageVersion } from './shared.mjs';

const require = createRequire(import.meta.url);
export const info = { name: 'hnswlib-node', label: 'hnswlib-node', kind: 'hnsw' };
const SPACES = { euclidean: 'l2', cosine: 'cosine', ip: 'ip' };

export async function probe() {
  try {
    require('hnswlib-node');
    return { available: true, version: packageVersion(require, 'hnswlib-node'), notes: 'build and batch search are single-threaded (no threaded API)' };
  } catch (e) {
    return { available: false, reason: `package hnswlib-node is not installed (${e.code ?? e.message}); npm install --save-dev hnswlib-node` };
  }
}

/**
 * An hnswlib-node index over row-major float32 `vectors`, labels 0..n-1, built one
 * point at a time (its only way). Shared with the per-script benchmarks.
 */
export function buildHnswlib(dim, metric, vectors, { M, efConstruction, seed = 1, onProgress } = {}) {
  const { HierarchicalNSW } = require('hnswlib-node');
  const n = vectors.length / dim;
  const index = new HierarchicalNSW(SPACES[metric], dim);
  index.initIndex(n, M, efConstruction, seed);
  // addPoint only takes number[]: the copy is part of inserting from a Float32Array.
  for (let i = 0; i < n; i++) {
    index.addPoint(Array.from(vectors.subarray(i * dim, (i + 1) * dim)), i);
    if ((i + 1) % 2000 === 0 || i + 1 === n) onProgress?.(i + 1, n);
  }
  return index;
}

export async function create({ dim, metric }) {
  const { HierarchicalNSW } = require('hnswlib-node');
  const space = SPACES[metric];
  let index = null;
  let currentEf = -1;
  const setEf = (ef) => { if (ef !== currentEf) { index.setEf(ef); currentEf = ef; } };
  const asArray = (q) => (Array.isArray(q) ? q : Array.from(q));
  return {
    capabilities: { threadedBuild: false, batchThreads: 1, filter: true, persistence: true, exact: false },
    build(vectors, options) {
      index = buildHnswlib(dim, metric, vectors, options);
      currentEf = -1;
    },
    // Queries are converted to number[] once, outside the timed loops (hnswlib-node's best case).
    prepareQueries(queries, nq) {
      return Array.from({ length: nq }, (_, i) => Array.from(queries.subarray(i * dim, (i + 1) * dim)));
    },
    search(q, k, ef) {
      setEf(ef);
      return index.searchKnn(asArray(q), k).neighbors;
    },
    searchBatch(qs, nq, k, ef) {
      setEf(ef);
      const out = new Int32Array(nq * k).fill(-1);
      for (let i = 0; i < nq; i++) {
        const r = index.searchKnn(Array.from(qs.subarray(i * dim, (i + 1) * dim)), k).neighbors;
        for (let j = 0; j < r.length; j++) out[i * k + j] = r[j];
      }
      return out;
    },
    searchFiltered(q, k, ef, allow) {
      setEf(ef);
      const mask = allow.mask;
      return index.searchKnn(asArray(q), k, (label) => mask[label] === 1).neighbors;
    },
    save(path) { index.writeIndexSync(path); },
    load(path) {
      index = new HierarchicalNSW(space, dim);
      index.readIndexSync(path);
      currentEf = -1;
    },
    memory: () => null,
    close() { index = null; },
  };
}
