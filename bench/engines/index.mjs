// The engine registry: name -> adapter module. Order is the order of columns in reports.
import * as quiverdbHnsw from './quiverdb-hnsw.mjs';
import * as quiverdbFlat from './quiverdb-flat.mjs';
import * as hnswlibNode from './hnswlib-node.mjs';
import * as usearch from './usearch.mjs';
import * as faissNode from './faiss-node.mjs';
import { faissPythonHnsw, faissPythonFlat } from './faiss-python.mjs';
import { lancedbIvfHnswSq, lancedbFlat } from './lancedb.mjs';

export const ENGINES = new Map(
  [quiverdbHnsw, quiverdbFlat, hnswlibNode, usearch, faissNode, faissPythonHnsw, faissPythonFlat, lancedbIvfHnswSq, lancedbFlat]
    .map((adapter) => [adapter.info.name, adapter]),
);

/**
 * Measured only when named in --engines (or through the alias `lancedb`): LanceDB's awaited
 * queries run at a few hundred per second (its flat scan at tens), which would take the
 * default run (100k x 128, 1,000 queries, 7 ef values) well past its 3-minute budget.
 */
export const OPT_IN_ENGINES = ['lancedb-ivf-hnsw-sq', 'lancedb-flat'];

export const DEFAULT_ENGINES = [...ENGINES.keys()].filter((name) => !OPT_IN_ENGINES.includes(name));

/** faiss-node falls back to FAISS through Python when it is not installed. */
export const FALLBACKS = { 'faiss-node': ['faiss-python-hnsw', 'faiss-python-flat'] };

/** Expands and checks a comma-separated --engines list. */
export function resolveEngineNames(list) {
  const names = list ? list.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_ENGINES;
  const aliases = { 'faiss-python': ['faiss-python-hnsw', 'faiss-python-flat'], quiverdb: ['quiverdb-hnsw', 'quiverdb-flat'], lancedb: ['lancedb-ivf-hnsw-sq', 'lancedb-flat'] };
  const out = [];
  for (const name of names) {
    const expanded = aliases[name] ?? [name];
    for (const e of expanded) {
      if (!ENGINES.has(e)) throw new RangeError(`--engines: unknown engine ${JSON.stringify(e)}; known: ${[...ENGINES.keys(), ...Object.keys(aliases)].join(', ')}`);
      if (!out.includes(e)) out.push(e);
    }
  }
  return out;
}

export function getEngine(name) {
  const adapter = ENGINES.get(name);
  if (!adapter) throw new RangeError(`unknown engine ${JSON.stringify(name)}`);
  return adapter;
}
