// Named regressions for filter bugs found by test/filter-differential.test.ts
// (issue 11). Each checks count, list, query and deleteWhere on a small store.
import { describe, expect, it } from 'vitest';
import { VectorStore, type Filter, type Metadata } from '../src/index.js';

async function storeOf(docs: Metadata[]): Promise<VectorStore> {
  const store = new VectorStore({ dim: 2, metric: 'euclidean', index: { type: 'flat' } });
  await store.upsert(docs.map((metadata, i) => ({ id: `d${i}`, vector: [i, 0], metadata })));
  return store;
}

/** The matching ids through count, list, query and deleteWhere (the store is emptied of them). */
async function matching(store: VectorStore, filter: Filter): Promise<string[]> {
  const listed: string[] = [];
  for await (const rec of store.list({ filter, includeVectors: false })) listed.push(rec.id);
  listed.sort();
  expect(await store.count(filter)).toBe(listed.length);
  const hits = await store.query([0, 0], { filter, topK: 1000 });
  expect(hits.map((h) => h.id).sort()).toEqual(listed);
  const size = store.size;
  expect(await store.deleteWhere(filter)).toBe(listed.length);
  expect(store.size).toBe(size - listed.length);
  return listed;
}

const X = (values: (number | string | (number | string)[])[]): Metadata[] => values.map((x) => ({ x }));

describe('issue 11, defect 1: range operators on one field intersect', () => {
  // Was [1, 5): the later $lt overwrote the merged $lte.
  it('{ $gte: 1, $lte: 3, $lt: 5 } is [1, 3]', async () => {
    const store = await storeOf(X([0, 1, 2, 3, 4, 5]));
    expect(await matching(store, { x: { $gte: 1, $lte: 3, $lt: 5 } })).toEqual(['d1', 'd2', 'd3']);
  });

  it('every order of the same bounds gives the same set', async () => {
    const docs = X([0, 1, 2, 3, 4, 5, 6]);
    const ops: [string, number][] = [['$gt', 0], ['$gte', 2], ['$lt', 6], ['$lte', 4]];
    const perms = (xs: [string, number][]): [string, number][][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    for (const order of perms(ops)) {
      const store = await storeOf(docs);
      expect(await matching(store, { x: Object.fromEntries(order) }), JSON.stringify(order)).toEqual(['d2', 'd3', 'd4']);
    }
  });

  it('the tighter of an inclusive and an exclusive bound at the same value wins', async () => {
    expect(await matching(await storeOf(X([1, 2, 3])), { x: { $gte: 1, $gt: 1, $lte: 3 } })).toEqual(['d1', 'd2']);
    expect(await matching(await storeOf(X([1, 2, 3])), { x: { $lt: 3, $gte: 1, $lte: 3 } })).toEqual(['d0', 'd1']);
  });

  it('an empty intersection matches no single value', async () => {
    expect(await matching(await storeOf(X([0, 1, 2, 3, 4, 5])), { x: { $gte: 1, $lte: 3, $gt: 3 } })).toEqual([]);
    expect(await matching(await storeOf(X([0, 1, 2, 3, 4, 5])), { x: { $gt: 1, $lt: 1, $lte: 1 } })).toEqual([]);
  });

  it('on an array, each bound may still be met by a different element (MongoDB)', async () => {
    // [0, 9]: 9 meets both lower bounds, 0 both upper bounds.
    const store = await storeOf(X([[0, 9], [5], 5, [2, 3]]));
    expect(await matching(store, { x: { $gt: 4, $gte: 6, $lt: 3, $lte: 1 } })).toEqual(['d0']);
  });

  it('number and string bounds on one field are separate conditions, never compared across types', async () => {
    const docs = X([1, 2, 'a', 'b', 'c', [2, 'b'], [5, 'b'], [2, 'z']]);
    // A number in [1, 3] and a string in ('a', 'c'): only an array can hold both.
    expect(await matching(await storeOf(docs), { x: { $gte: 1, $gt: 'a', $lte: 3, $lt: 'c' } })).toEqual(['d5']);
    expect(await matching(await storeOf(docs), { x: { $gt: 'a', $lte: 3, $lt: 'c', $gte: 2 } })).toEqual(['d5']);
  });
});

describe('a metadata key containing a dot is not a nested path', () => {
  // Was: the field indexes filed the key "a.b" under the path a.b, so equality, ranges and
  // $exists saw it as the nested field while array equality and the per-element range check
  // (reading the metadata by segments) did not: { 'a.b': 1 } matched d0 and d2, { 'a.b': null }
  // did not match d0, and { 'a.b': [1, 2] } did not match d1 although { 'a.b': 1 } did.
  const docs: Metadata[] = [{ 'a.b': 1 }, { 'a.b': [1, 2] }, { 'a.b': 1, a: { b: 9 } }, { a: { b: 1 } }, { a: [{ 'b.c': 1 }] }, { a: { b: { c: 1 } } }];
  const cases: [Filter, string[]][] = [
    [{ 'a.b': 1 }, ['d3']],
    [{ 'a.b': { $gte: 1, $lte: 1 } }, ['d3']],
    [{ 'a.b': { $exists: true } }, ['d2', 'd3', 'd5']],
    [{ 'a.b': null }, ['d0', 'd1', 'd4']],
    [{ 'a.b': [1, 2] }, []],
    [{ 'a.b': 9 }, ['d2']],
    [{ 'a.b.c': 1 }, ['d5']],
  ];
  for (const [filter, expected] of cases)
    it(JSON.stringify(filter), async () => {
      expect(await matching(await storeOf(docs), filter)).toEqual(expected);
    });
});

// Strings longer than 256 characters (a chunk's text) are not keys of the equality and range
// indexes (they doubled a RAG store's memory); equalities and ranges that can reach them check
// the slots holding one. Every operator over short and long strings, against the reference model.
describe('long string values (not indexed by value) answer like short ones', () => {
  it('equality, $in, $ne, $nin and ranges over long and short strings, arrays and nested paths', async () => {
    const { modelMatch } = await import('./helpers/filter-model.js');
    const long = (c: string, n = 300) => c.repeat(n);
    const values = ['a', 'm', 'z', long('a'), long('m'), long('m', 400), long('z'), `${long('m')}b`];
    const docs: Metadata[] = [];
    for (const v of values) docs.push({ x: v }, { x: [v, 'q'] }, { n: { x: v } }, { x: [long('b'), v] });
    docs.push({}, { x: null }, { x: 5 });
    const filters: Filter[] = [];
    for (const v of values) {
      filters.push({ x: v }, { x: { $ne: v } }, { x: { $in: [v, 'q'] } }, { x: { $nin: [v] } }, { 'n.x': v });
      for (const op of ['$gt', '$gte', '$lt', '$lte'] as const) filters.push({ x: { [op]: v } }, { 'n.x': { [op]: v } });
      filters.push({ x: { $gt: 'b', $lt: v } }, { x: { $gte: v, $lte: long('z', 301) } });
    }
    for (const filter of filters) {
      const store = await storeOf(docs);
      const want = docs.map((m, i) => (modelMatch(m as never, filter as never) ? `d${i}` : '')).filter(Boolean).sort();
      expect(await matching(store, filter), JSON.stringify(filter).slice(0, 120)).toEqual(want);
    }
  });
});
