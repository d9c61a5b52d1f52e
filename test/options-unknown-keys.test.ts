// Unknown option keys are errors (issue 12): every public call of src/store and
// src/indexes that takes an options object refuses a key it does not know with a
// TypeError naming the key and pointing at the valid one, where the call reports
// its other input errors (a throw for sync calls, a rejected promise for async
// ones, the first next() for list()). Misspellings are generated from each valid
// key (a character dropped, two adjacent swapped, case changed, common
// abbreviations); every valid key is still accepted.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { misspellings } from './helpers/misspellings.js';
import { FlatIndex, HnswIndex, VectorStore } from '../src/index.js';
import {
  INDEX_OPTION_KEYS, LIST_OPTION_KEYS, OPEN_OPTION_KEYS, QUERY_OPTION_KEYS, UPSERT_OPTION_KEYS, VECTOR_STORE_OPTION_KEYS, WAIT_OPTION_KEYS,
} from '../src/store/types.js';
import { MAPPED_SEARCH_OPTION_KEYS, MAPPED_VECTORS_OPTION_KEYS, MappedVectors } from '../src/indexes/mapped-vectors.js';
import { FLAT_INDEX_OPTION_KEYS, FLAT_SEARCH_OPTION_KEYS } from '../src/indexes/flat-index.js';
import { HNSW_ADD_OPTION_KEYS, HNSW_INDEX_OPTION_KEYS, HNSW_SEARCH_OPTION_KEYS } from '../src/indexes/hnsw-index.js';
import { BATCH_OPTION_KEYS } from '../src/indexes/results.js';
import { nearestName } from '../src/util/options.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `s${dirs++}`);

type Opts = Record<string, unknown>;

/** One public options-taking call: how it is made with `opts` and a valid value for each key. */
interface Call {
  where: string;
  /** 'sync': the error is thrown; 'async': the call returns a rejected promise (never throws). */
  kind: 'sync' | 'async';
  valid: Opts;
  /** The key list in src the valid keys must equal (the compile-time check ties it to the type). */
  list: readonly string[];
  run(opts: Opts): unknown;
}

const v3 = [1, 0, 0];
const flatAt = () => {
  const f = new FlatIndex({ dim: 3 });
  f.add([0, 1], [v3, [0, 1, 0]]);
  return f;
};
const hnswAt = () => {
  const h = new HnswIndex({ dim: 3 });
  h.add([0, 1], [v3, [0, 1, 0]]);
  return h;
};
const memStore = async () => {
  const s = new VectorStore({ dim: 3 });
  await s.upsert([{ id: 'a', vector: v3, metadata: { n: 1 } }]);
  return s;
};
const store = await memStore();
const mappedFile = join(root, 'mapped.f32');
writeFileSync(mappedFile, Buffer.from(new Float32Array(v3).buffer));
const mapped = MappedVectors.open(mappedFile, { byteOffset: 0, rows: 1, dim: 3, metric: 'ip' });
const flat = flatAt();
const hnsw = hnswAt();

const indexValid: Opts = { type: 'flat', threshold: 100, M: 8, efConstruction: 50, efSearch: 20, quantization: 'int8' };
const searchValid = (extra: Opts = {}): Opts => ({ filter: [0, 1], ...extra });

const calls: Call[] = [
  { where: 'VectorStore options', kind: 'sync', list: VECTOR_STORE_OPTION_KEYS, valid: { dim: 3, metric: 'euclidean', index: {} },
    run: (o) => new VectorStore({ dim: 3, ...o } as never) },
  { where: 'VectorStore options.index', kind: 'sync', list: INDEX_OPTION_KEYS, valid: indexValid,
    run: (o) => new VectorStore({ dim: 3, index: o } as never) },
  { where: 'VectorStore.open options', kind: 'async', list: OPEN_OPTION_KEYS,
    // readOnly and refreshIntervalMs are known keys; a writer takes them only at their defaults (a reader refuses durability and snapshotBytes).
    valid: { dim: 3, metric: 'euclidean', index: {}, durability: 'none', snapshotBytes: 1 << 20, readOnly: false, refreshIntervalMs: undefined },
    run: (o) => openAndClose(freshDir(), { dim: 3, ...o }) },
  { where: 'VectorStore.waitFor options', kind: 'async', list: WAIT_OPTION_KEYS, valid: { timeoutMs: 10 },
    run: (o) => store.waitFor(0, o as never) },
  { where: 'MappedVectors.open options', kind: 'sync', list: MAPPED_VECTORS_OPTION_KEYS, valid: { byteOffset: 0, rows: 1, dim: 3, metric: 'ip' },
    // All four are required: a key passed as undefined keeps its value here.
    run: (o) => MappedVectors.open(mappedFile, { byteOffset: 0, rows: 1, dim: 3, metric: 'ip', ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) } as never).close() },
  { where: 'MappedVectors.search options', kind: 'sync', list: MAPPED_SEARCH_OPTION_KEYS, valid: { allow: new Uint32Array([1]) },
    run: (o) => mapped.search(v3, 1, o as never) },
  { where: 'MappedVectors.searchAsync options', kind: 'async', list: MAPPED_SEARCH_OPTION_KEYS, valid: { allow: new Uint32Array([1]) },
    run: (o) => mapped.searchAsync(v3, 1, o as never) },
  { where: 'VectorStore.open options.index', kind: 'async', list: INDEX_OPTION_KEYS, valid: indexValid,
    run: (o) => openAndClose(freshDir(), { dim: 3, index: o }) },
  { where: 'VectorStore.upsert options', kind: 'async', list: UPSERT_OPTION_KEYS, valid: { deleteIds: ['nope'] },
    run: (o) => store.upsert({ id: 'b', vector: v3 }, o as never) },
  { where: 'VectorStore.query options', kind: 'async', list: QUERY_OPTION_KEYS,
    valid: { topK: 1, filter: { n: 1 }, includeVectors: true, includeMetadata: false, efSearch: 10 },
    run: (o) => store.query(v3, o as never) },
  { where: 'VectorStore.querySync options', kind: 'sync', list: QUERY_OPTION_KEYS,
    valid: { topK: 1, filter: { n: 1 }, includeVectors: true, includeMetadata: false, efSearch: 10 },
    run: (o) => store.querySync(v3, o as never) },
  { where: 'VectorStore.list options', kind: 'async', list: LIST_OPTION_KEYS, valid: { filter: { n: 1 }, batchSize: 2, includeVectors: false },
    run: (o) => drain(store.list(o as never)) },
  { where: 'FlatIndex options', kind: 'sync', list: FLAT_INDEX_OPTION_KEYS, valid: { dim: 3, metric: 'ip' },
    run: (o) => new FlatIndex({ dim: 3, ...o } as never) },
  { where: 'FlatIndex.search options', kind: 'sync', list: FLAT_SEARCH_OPTION_KEYS, valid: searchValid(),
    run: (o) => flat.search(v3, 1, o as never) },
  { where: 'FlatIndex.searchAsync options', kind: 'async', list: FLAT_SEARCH_OPTION_KEYS, valid: searchValid(),
    run: (o) => flat.searchAsync(v3, 1, o as never) },
  { where: 'FlatIndex.searchBatch options', kind: 'sync', list: [...BATCH_OPTION_KEYS, ...FLAT_SEARCH_OPTION_KEYS], valid: searchValid({ threads: 1 }),
    run: (o) => flat.searchBatch([v3], 1, o as never) },
  { where: 'FlatIndex.searchBatchAsync options', kind: 'async', list: [...BATCH_OPTION_KEYS, ...FLAT_SEARCH_OPTION_KEYS], valid: searchValid({ threads: 1 }),
    run: (o) => flat.searchBatchAsync([v3], 1, o as never) },
  { where: 'HnswIndex options', kind: 'sync', list: HNSW_INDEX_OPTION_KEYS,
    valid: { dim: 3, metric: 'ip', M: 8, efConstruction: 40, efSearch: 20, seed: 7, quantization: 'int8' },
    run: (o) => new HnswIndex({ dim: 3, ...o } as never) },
  { where: 'HnswIndex.add options', kind: 'sync', list: HNSW_ADD_OPTION_KEYS, valid: { threads: 1 },
    run: (o) => hnsw.add([2], [v3], o as never) },
  { where: 'HnswIndex.addAsync options', kind: 'async', list: HNSW_ADD_OPTION_KEYS, valid: { threads: 1 },
    run: (o) => hnsw.addAsync([3], [v3], o as never) },
  { where: 'HnswIndex.compact options', kind: 'sync', list: HNSW_ADD_OPTION_KEYS, valid: { threads: 1 },
    run: (o) => hnsw.compact(o as never) },
  { where: 'HnswIndex.compactAsync options', kind: 'async', list: HNSW_ADD_OPTION_KEYS, valid: { threads: 1 },
    run: (o) => hnsw.compactAsync(o as never) },
  { where: 'HnswIndex.search options', kind: 'sync', list: HNSW_SEARCH_OPTION_KEYS, valid: searchValid({ ef: 10 }),
    run: (o) => hnsw.search(v3, 1, o as never) },
  { where: 'HnswIndex.searchAsync options', kind: 'async', list: HNSW_SEARCH_OPTION_KEYS, valid: searchValid({ ef: 10 }),
    run: (o) => hnsw.searchAsync(v3, 1, o as never) },
  { where: 'HnswIndex.searchBatch options', kind: 'sync', list: [...BATCH_OPTION_KEYS, ...HNSW_SEARCH_OPTION_KEYS], valid: searchValid({ ef: 10, threads: 1 }),
    run: (o) => hnsw.searchBatch([v3], 1, o as never) },
  { where: 'HnswIndex.searchBatchAsync options', kind: 'async', list: [...BATCH_OPTION_KEYS, ...HNSW_SEARCH_OPTION_KEYS], valid: searchValid({ ef: 10, threads: 1 }),
    run: (o) => hnsw.searchBatchAsync([v3], 1, o as never) },
];

async function openAndClose(dir: string, o: Opts): Promise<void> {
  const s = await VectorStore.open(dir, o as never);
  await s.close();
}

async function drain(it: AsyncGenerator<unknown>): Promise<void> {
  for await (const _ of it);
}

/** Abbreviations and variants people type for a key (beyond the generated ones). */
const ABBREVIATIONS: Record<string, string[]> = {
  topK: ['k', 'topk', 'top_k', 'top'],
  efSearch: ['ef', 'efsearch', 'ef_search'],
  efConstruction: ['efC', 'ef_construction', 'efConstr'],
  M: ['m'],
  dim: ['dims', 'Dim'],
  metric: ['metrics', 'metrc'],
  includeVectors: ['includeVector', 'include_vectors'],
  includeMetadata: ['includeMeta', 'include_metadata'],
  batchSize: ['batch_size', 'batch'],
  deleteIds: ['deleteId', 'delete_ids', 'delete'],
  snapshotBytes: ['snapshot_bytes', 'snapshot'],
  durability: ['durable'],
  threshold: ['thresh', 'treshold'],
  quantization: ['quant', 'quantize'],
  threads: ['thread', 'numThreads'],
  filter: ['filters', 'fitler'],
};


/** What the call did with `opts`: 'ok', or the error (and whether an async call threw synchronously instead of rejecting). */
async function outcome(call: Call, opts: Opts): Promise<{ ok: true } | { ok: false; error: unknown; threwSync: boolean }> {
  let result: unknown;
  try {
    result = call.run(opts);
  } catch (error) {
    return { ok: false, error, threwSync: true };
  }
  try {
    await result;
    return { ok: true };
  } catch (error) {
    return { ok: false, error, threwSync: false };
  }
}

describe('every public options object refuses unknown keys', () => {
  it('the call table covers each key list, and its valid keys are the list', () => {
    for (const call of calls) expect(Object.keys(call.valid).sort(), call.where).toEqual([...call.list].sort());
  });

  it.each(calls.map((c) => [c.where, c] as const))('%s: every valid key is accepted (alone and all together)', async (_, call) => {
    for (const [key, value] of Object.entries(call.valid)) {
      const r = await outcome(call, { [key]: value });
      expect(r, `${call.where} { ${key} }`).toEqual({ ok: true });
    }
    expect(await outcome(call, { ...call.valid }), `${call.where} with every key`).toEqual({ ok: true });
    // undefined values and an empty object are fine too
    expect(await outcome(call, {})).toEqual({ ok: true });
    expect(await outcome(call, Object.fromEntries(Object.keys(call.valid).filter((k) => k !== 'dim').map((k) => [k, undefined])))).toEqual({ ok: true });
  });

  const stats = { cases: 0, suggestedIntended: 0, listedOnly: [] as string[], otherSuggestion: [] as string[] };

  it.each(calls.map((c) => [c.where, c] as const))('%s: each misspelling of each key is a TypeError naming it, with a suggestion', async (_, call) => {
    const valid = Object.keys(call.valid);
    for (const key of valid) {
      for (const bad of misspellings(key, ABBREVIATIONS[key])) {
        if (valid.includes(bad)) continue; // another valid key (none today)
        const r = await outcome(call, { [bad]: call.valid[key] });
        const label = `${call.where}: '${bad}' (from '${key}')`;
        expect(r.ok, label).toBe(false);
        if (r.ok) continue;
        expect(r.threwSync, `${label}: reported as the call reports other input errors`).toBe(call.kind === 'sync');
        expect(r.error, label).toBeInstanceOf(TypeError);
        const message = (r.error as Error).message;
        expect(message, label).toContain(`${call.where}: unknown option '${bad}'`);
        // A suggestion of a valid key, or (when no key is close) the list of valid keys.
        const suggestion = /did you mean '([^']+)'\?/.exec(message)?.[1];
        stats.cases++;
        if (suggestion !== undefined) {
          expect(valid, label).toContain(suggestion);
          if (suggestion === key) stats.suggestedIntended++;
          else stats.otherSuggestion.push(`${label} -> '${suggestion}'`);
        } else {
          expect(message, label).toContain(`valid options: ${call.list.join(', ')}`);
          stats.listedOnly.push(label);
        }
      }
    }
  });

  it('most misspellings suggest exactly the key they came from', () => {
    // The nearest-name heuristic lives in src/util/options.ts; this guards the share, not each case.
    expect(stats.cases).toBeGreaterThan(500);
    expect(stats.suggestedIntended / stats.cases).toBeGreaterThan(0.8);
  });

  it('an unknown key is refused before any effect (open creates no directory; upsert writes nothing)', async () => {
    const dir = freshDir();
    await expect(VectorStore.open(dir, { dim: 3, metrc: 'cosine' } as never)).rejects.toThrow(TypeError);
    expect(existsSync(dir)).toBe(false);
    const s = await memStore();
    await expect(s.upsert({ id: 'z', vector: v3 }, { deleteID: ['a'] } as never)).rejects.toThrow(/deleteID/);
    expect(s.size).toBe(1);
    expect(await s.get(['z'])).toEqual([undefined]);
  });
});

describe('regressions (issue 12)', () => {
  it("store.query(v, { k: 3 }) is refused (it returned the default 10 hits), suggesting 'topK'", async () => {
    const s = new VectorStore({ dim: 3 });
    await s.upsert(Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, vector: [1, i, 0] })));
    await expect(s.query(v3, { k: 3 } as never)).rejects.toThrow(new TypeError("VectorStore.query options: unknown option 'k' (did you mean 'topK'?)"));
    expect(() => s.querySync(v3, { k: 3 } as never)).toThrow(/unknown option 'k' \(did you mean 'topK'\?\)/);
    expect(await s.query(v3, { topK: 3 })).toHaveLength(3);
  });

  it("new VectorStore({ dim: 3, metrc: 'cosine' }) is refused, suggesting 'metric'", () => {
    expect(() => new VectorStore({ dim: 3, metrc: 'cosine' } as never)).toThrow(
      new TypeError("VectorStore options: unknown option 'metrc' (did you mean 'metric'?)"),
    );
  });

  it("index: { ef: 10 } is refused, suggesting 'efSearch'", async () => {
    expect(() => new VectorStore({ dim: 3, index: { ef: 10 } } as never)).toThrow(
      new TypeError("VectorStore options.index: unknown option 'ef' (did you mean 'efSearch'?)"),
    );
    await expect(VectorStore.open(freshDir(), { dim: 3, index: { ef: 10 } } as never)).rejects.toThrow(
      "VectorStore.open options.index: unknown option 'ef' (did you mean 'efSearch'?)",
    );
  });

  it("HnswIndex({ m: 8 }) suggests 'M'; search { efSearch } names 'ef'", () => {
    expect(() => new HnswIndex({ dim: 3, m: 8 } as never)).toThrow("HnswIndex options: unknown option 'm' (did you mean 'M'?)");
    expect(() => hnsw.search(v3, 1, { efSearch: 10 } as never)).toThrow(/^HnswIndex.search options: unknown option 'efSearch' \((did you mean 'ef'\?|valid options: ef, filter)\)$/);
  });
});

describe('nearestName: the suggestion in the error', () => {
  const cases: Array<[string, string[], string | undefined]> = [
    ['m', ['dim', 'metric', 'M'], 'M'], // a case-only difference wins outright
    ['tpoK', ['topK', 'filter'], 'topK'], // adjacent characters swapped: one edit
    ['idm', ['dim', 'metric'], 'dim'],
    ['k', ['topK', 'filter', 'efSearch'], 'topK'], // an abbreviation
    ['dimension', ['dim', 'metric', 'index'], 'dim'], // an extension of a short name
    ['durable', ['dim', 'metric', 'index', 'durability'], 'durability'], // a shared stem
    ['zzzzzz', ['dim', 'metric'], undefined], // nothing close: the error lists the valid keys
  ];
  for (const [key, known, expected] of cases) {
    it(`${key} -> ${expected ?? 'no suggestion'}`, () => expect(nearestName(key, known)).toBe(expected));
  }
});
