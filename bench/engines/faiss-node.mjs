// faiss-node: FAISS bindings for Node. Optional: its install script downloads prebuilt
// binaries from GitHub and falls back to cloning FAISS, so it cannot install on machines
// that only reach the npm registry. Its API has no way to set HNSW's efSearch, so only the
// exact IndexFlat is measured through it; FAISS HNSW figures come from faiss-python.
import { createRequire } from 'node:module';
import { packageVersion } from './shared.mjs';
import { normalizeRows } from '../lib/normalize.mjs';

const require = createRequire(import.meta.url);
export const info = { name: 'faiss-node', label: 'faiss-node IndexFlat (exact)', kind: 'exact' };

export async function probe() {
  try {
    require('faiss-node');
  } catch (e) {
    return {
      available: false,
      reason: `package faiss-node is not installed (${e.code ?? e.message}): its install downloads prebuilt binaries from GitHub `
        + 'and its fallback clones FAISS; install it where GitHub is reachable (npm install faiss-node). '
        + 'FAISS is measured through python3-faiss instead (engines faiss-python-hnsw, faiss-python-flat) when available.',
    };
  }
  return { available: true, version: packageVersion(require, 'faiss-node'), notes: 'IndexFlat only: the API cannot set efSearch' };
}

export async function create({ dim, metric }) {
  const faiss = require('faiss-node');
  const Flat = metric === 'euclidean' ? faiss.IndexFlatL2 : faiss.IndexFlatIP;
  const normalize = metric === 'cosine';
  const asNumbers = (v) => {
    const a = Array.from(v);
    return normalize ? normalizeRows(a, dim) : a;
  };
  let index = null;
  return {
    capabilities: { threadedBuild: false, batchThreads: 'all', filter: false, persistence: true, exact: true },
    build(vectors) { index = new Flat(dim); index.add(asNumbers(vectors)); },
    prepareQueries: (queries, nq) => Array.from({ length: nq }, (_, i) => asNumbers(queries.subarray(i * dim, (i + 1) * dim))),
    search: (q, k) => index.search(Array.isArray(q) ? q : asNumbers(q), k).labels,
    searchBatch: (qs, nq, k) => Int32Array.from(index.search(asNumbers(qs), k).labels),
    save(path) { index.write(path); },
    load(path) { index = Flat.read(path); },
    memory: () => null,
    close() { index = null; },
  };
}
