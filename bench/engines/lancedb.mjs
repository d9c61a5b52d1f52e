// LanceDB (@lancedb/lancedb): an embedded, on-disk columnar store with vector indexes, the
// store many Node users pick instead of an in-process index. Two engines, as quiverdb has
// hnsw and flat:
//   lancedb-ivf-hnsw-sq  a table with an IVF_HNSW_SQ index (HNSW over 8-bit scalar-quantized
//                        vectors inside each IVF partition)
//   lancedb-flat         the same table with no index: an exact scan (one point on the curve)
// The table lives in a temporary directory (mkdtemp under os.tmpdir(), removed by close()).
// Build = create the table from the vectors (Arrow record batches) + create the index.
//
// LanceDB's query API is async only, so search()/searchBatch() return promises and the
// adapter says so with capabilities.asyncSearch: the runner then awaits each call, one query
// at a time (the same "one query per call" as the other engines; the await is part of what
// a LanceDB user pays). Labels come from an `id` column holding the base row number.
//
// The knob swept as "ef": the index is built with ONE IVF partition (LanceDB's own advice
// for HNSW: "setting this to 1 works well for most tables"), so the whole table is one HNSW
// graph and nprobes has nothing to choose (it is set to 1 = all partitions). The search's
// `ef` (HNSW candidate list, LanceDB's default 1.5 * k) is then the same knob as the other
// engines' ef and sweeps recall smoothly; nprobes over many partitions moves recall in
// coarse steps and re-searches whole graphs per probe, so it sweeps worse. No refine step:
// distances inside the graph are SQ estimates, as LanceDB returns them by default.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageVersion } from './shared.mjs';

const require = createRequire(import.meta.url);
const PACKAGE = '@lancedb/lancedb';
// LanceDB's distance types: l2 (squared Euclidean), cosine (1 - cos), dot (ordered so that
// a larger inner product is nearer). Recall only needs the right ids.
const DISTANCES = { euclidean: 'l2', cosine: 'cosine', ip: 'dot' };
const ROWS_PER_BATCH = 50_000;

function load() {
  return { lancedb: require(PACKAGE), arrow: require('apache-arrow') };
}

async function probeLanceDb(notes) {
  try {
    load();
    return { available: true, version: packageVersion(require, PACKAGE), notes };
  } catch (e) {
    return {
      available: false,
      reason: `package ${PACKAGE} (with its peer apache-arrow) is not installed or does not load here (${e.code ?? e.message}); ` +
        'npm install --save-dev @lancedb/lancedb@0.31.0 apache-arrow@18.1.0',
    };
  }
}

/** An Arrow table of (id int32, vector fixed_size_list<float32>[dim]), in record batches. */
function arrowTable(arrow, vectors, dim) {
  const { Field, FixedSizeList, Float32, Int32, Schema, Struct, RecordBatch, Table, makeData } = arrow;
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), true));
  const schema = new Schema([new Field('id', new Int32(), false), new Field('vector', listType, false)]);
  const n = vectors.length / dim;
  const batches = [];
  for (let start = 0; start < n; start += ROWS_PER_BATCH) {
    const count = Math.min(ROWS_PER_BATCH, n - start);
    const ids = new Int32Array(count);
    for (let i = 0; i < count; i++) ids[i] = start + i;
    const values = makeData({ type: new Float32(), length: count * dim, nullCount: 0, data: vectors.slice(start * dim, (start + count) * dim) });
    const children = [
      makeData({ type: new Int32(), length: count, nullCount: 0, data: ids }),
      makeData({ type: listType, length: count, nullCount: 0, child: values }),
    ];
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: count, nullCount: 0, children })));
  }
  return new Table(schema, batches);
}

function makeCreate(indexed) {
  return async function create({ dim, metric }) {
    const { lancedb, arrow } = load();
    const distanceType = DISTANCES[metric];
    const dir = mkdtempSync(join(tmpdir(), `quiver-bench-lancedb-${indexed ? 'hnsw' : 'flat'}-`));
    let db = null;
    let table = null;

    const run = async (q, k, ef) => {
      let query = table.vectorSearch(q).distanceType(distanceType).select(['id', '_distance']).limit(k);
      if (indexed) query = query.nprobes(1).ef(Math.max(ef, k));
      else query = query.bypassVectorIndex();
      const result = await query.toArrow();
      return result.getChild('id').toArray(); // Int32Array, nearest first
    };

    return {
      // LanceDB builds and searches with its own thread pool (no thread count in its JS API).
      capabilities: { threadedBuild: true, batchThreads: 1, filter: false, persistence: false, exact: !indexed, asyncSearch: true },
      async build(vectors, { M = 16, efConstruction = 200, onProgress } = {}) {
        const n = vectors.length / dim;
        db = await lancedb.connect(dir);
        table = await db.createTable('vectors', arrowTable(arrow, vectors, dim), { mode: 'overwrite' });
        onProgress?.(indexed ? n / 2 : n, n);
        if (indexed) {
          await table.createIndex('vector', {
            config: lancedb.Index.hnswSq({ distanceType, numPartitions: 1, m: M, efConstruction }),
          });
          onProgress?.(n, n);
        }
      },
      search(q, k, ef) { return run(q, k, ef); },
      // No batch query in LanceDB's JS API: the queries one after another, each awaited.
      async searchBatch(qs, nq, k, ef) {
        const out = new Int32Array(nq * k).fill(-1);
        for (let i = 0; i < nq; i++) {
          const ids = await run(qs.subarray(i * dim, (i + 1) * dim), k, ef);
          out.set(ids.subarray(0, k), i * k);
        }
        return out;
      },
      memory: () => null,
      async close() {
        try { table?.close(); } catch { /* already closed */ }
        try { db?.close(); } catch { /* already closed */ }
        table = null;
        db = null;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

export const lancedbIvfHnswSq = {
  info: { name: 'lancedb-ivf-hnsw-sq', label: 'LanceDB IVF_HNSW_SQ', kind: 'hnsw' },
  probe: () => probeLanceDb('IVF_HNSW_SQ index with 1 partition, ef swept; async queries, one awaited at a time; no filtered search here'),
  create: makeCreate(true),
};

export const lancedbFlat = {
  info: { name: 'lancedb-flat', label: 'LanceDB flat', kind: 'exact' },
  probe: () => probeLanceDb('no index: exact scan of the table; async queries, one awaited at a time'),
  create: makeCreate(false),
};
