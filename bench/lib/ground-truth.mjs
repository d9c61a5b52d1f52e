// Exact ground truth with quiverdb's FlatIndex (exact, blocked, multi-threaded).
import { loadQuiverdb } from './quiverdb.mjs';

function flatIndexOver(base, n, dim, metric, FlatIndex) {
  const index = new FlatIndex({ dim, metric });
  const chunk = 65_536;
  for (let start = 0; start < n; start += chunk) {
    const count = Math.min(chunk, n - start);
    const labels = new Float64Array(count);
    for (let i = 0; i < count; i++) labels[i] = start + i;
    index.add(labels, base.subarray(start * dim, (start + count) * dim));
  }
  return index;
}

/**
 * Top-k exact neighbours of every query, as an Int32Array of nq*k row ids of `base`
 * (nearest first). `allowLists` (optional) maps a name to a Float64Array of allowed rows:
 * the result then also has filtered[name] = Int32Array ground truth restricted to them.
 */
export async function computeGroundTruth({ base, n, dim, queries, nq, metric, k, allowLists = {}, threads }) {
  const { FlatIndex } = await loadQuiverdb();
  const index = flatIndexOver(base, n, dim, metric, FlatIndex);
  const run = (filter) => {
    const kk = Math.min(k, filter ? filter.length : n);
    const r = index.searchBatch(queries.subarray(0, nq * dim), kk, filter ? { threads, filter } : { threads });
    const out = new Int32Array(nq * k).fill(-1);
    for (let q = 0; q < nq; q++) for (let j = 0; j < kk; j++) out[q * k + j] = r.labels[q * r.k + j];
    return out;
  };
  const filtered = {};
  for (const [name, allow] of Object.entries(allowLists)) filtered[name] = run(allow);
  return { ids: run(null), k, filtered };
}
