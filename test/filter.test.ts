// The filter language, table-driven: every operator, arrays, nested paths,
// missing fields, nulls, mixed types and invalid filters; then a randomized
// cross-check of the indexed evaluation against a direct reference matcher
// through upserts, replacements and deletes.
import { describe, expect, it } from 'vitest';
import { VectorStore, type Filter, type Metadata } from '../src/index.js';
import { rng } from './helpers/reference.js';
import { referenceMatch } from './fixtures/store-reference.js';

const DOCS: Record<string, Metadata> = {
  a: { category: 'science', year: 2021, tags: ['a', 'b'], author: { name: 'Ann', age: 40 }, score: 0.5, published: true },
  b: { category: 'math', year: 2019, tags: ['b'], author: { name: 'Bob' }, published: false },
  c: { category: 'science', year: '2020', tags: [], score: null },
  d: { category: ['science', 'math'], year: 2020, author: null },
  e: {},
  f: { category: 'Science', year: 2022.5, tags: ['a', 'c'], authors: [{ name: 'Ann' }, { name: 'Cy' }], nested: { deep: { x: 1 } } },
  g: { year: -1, tags: 'a', flag: null, obj: { k: 1 }, arr: [1, [2, 3]] },
  h: { nums: [1, 10], words: ['apple', 'zebra'] },
  i: { nums: [4], words: 'mango' },
};

async function makeStore(): Promise<VectorStore> {
  const store = new VectorStore({ dim: 2, metric: 'euclidean' });
  await store.upsert(Object.entries(DOCS).map(([id, metadata], i) => ({ id, vector: [i, 1], metadata })));
  return store;
}

async function idsMatching(store: VectorStore, filter: Filter): Promise<string[]> {
  const ids: string[] = [];
  for await (const rec of store.list({ filter, includeVectors: false })) ids.push(rec.id);
  return ids.sort();
}

const CASES: [string, Filter, string[]][] = [
  ['implicit $eq', { category: 'science' }, ['a', 'c', 'd']],
  ['$eq', { category: { $eq: 'science' } }, ['a', 'c', 'd']],
  ['string equality is case-sensitive', { category: 'Science' }, ['f']],
  ['array field: any element', { category: 'math' }, ['b', 'd']],
  ['$ne excludes arrays holding the value, includes missing', { category: { $ne: 'science' } }, ['b', 'e', 'f', 'g', 'h', 'i']],
  ['$gt numbers only (string "2020" never compares)', { year: { $gt: 2020 } }, ['a', 'f']],
  ['$gte', { year: { $gte: 2020 } }, ['a', 'd', 'f']],
  ['$lt', { year: { $lt: 2020 } }, ['b', 'g']],
  ['$lte', { year: { $lte: 2019 } }, ['b', 'g']],
  ['string range compares strings only', { year: { $gte: '2000' } }, ['c']],
  ['two operators on one field are ANDed', { year: { $gt: 2019, $lt: 2022 } }, ['a', 'd']],
  ['number equality never matches a string', { year: 2020 }, ['d']],
  ['fractional numbers', { year: 2022.5 }, ['f']],
  ['$in', { category: { $in: ['math', 'Science'] } }, ['b', 'd', 'f']],
  ['$in keeps types apart', { year: { $in: [2019, '2020'] } }, ['b', 'c']],
  ['$nin includes missing', { category: { $nin: ['science'] } }, ['b', 'e', 'f', 'g', 'h', 'i']],
  ['array contains', { tags: 'a' }, ['a', 'f', 'g']],
  ['$in over arrays', { tags: { $in: ['c', 'zz'] } }, ['f']],
  ['$exists true (empty array exists)', { tags: { $exists: true } }, ['a', 'b', 'c', 'f', 'g']],
  ['$exists false', { tags: { $exists: false } }, ['d', 'e', 'h', 'i']],
  ['$exists true counts explicit null', { flag: { $exists: true } }, ['g']],
  ['nested path', { 'author.name': 'Ann' }, ['a']],
  ['nested range', { 'author.age': { $gte: 40 } }, ['a']],
  ['path through an array of objects', { 'authors.name': 'Cy' }, ['f']],
  ['deep nested path', { 'nested.deep.x': 1 }, ['f']],
  ['null matches null or missing', { author: null }, ['c', 'd', 'e', 'f', 'g', 'h', 'i']],
  ['null on a field mostly missing', { score: null }, ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']],
  ['$ne null means present and not null', { score: { $ne: null } }, ['a']],
  ['$exists false on a sparse field', { score: { $exists: false } }, ['b', 'd', 'e', 'f', 'g', 'h', 'i']],
  ['booleans', { published: false }, ['b']],
  ['several fields are ANDed', { category: 'science', published: true }, ['a']],
  ['$and', { $and: [{ category: 'science' }, { year: 2020 }] }, ['d']],
  ['$or', { $or: [{ category: 'math' }, { year: { $gt: 2021 } }] }, ['b', 'd', 'f']],
  ['$nor', { $nor: [{ category: 'science' }, { tags: 'a' }] }, ['b', 'e', 'h', 'i']],
  ['top-level $not', { $not: { category: 'science' } }, ['b', 'e', 'f', 'g', 'h', 'i']],
  ['field $not includes missing and other types', { year: { $not: { $gt: 2020 } } }, ['b', 'c', 'd', 'e', 'g', 'h', 'i']],
  ['object equality', { obj: { k: 1 } }, ['g']],
  ['whole-array equality', { tags: ['a', 'b'] }, ['a']],
  ['array element that is an array', { arr: [2, 3] }, ['g']],
  ['arrays nested in arrays are not expanded', { arr: 2 }, []],
  ['empty filter matches all', {}, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']],
  ['range over an array: some element in range', { nums: { $gte: 3, $lte: 5 } }, ['h', 'i']],
  ['range bounds may be met by different elements (MongoDB)', { nums: { $gt: 5, $lt: 2 } }, ['h']],
  ['string range over arrays', { words: { $gt: 'b', $lt: 'n' } }, ['h', 'i']],
  ['unknown field matches nothing', { nope: 1 }, []],
  ['inherited names are not fields', { toString: { $exists: true } }, []],
];

describe('filter operators', () => {
  it.each(CASES)('%s', async (_name, filter, expected) => {
    const store = await makeStore();
    expect(await idsMatching(store, filter)).toEqual(expected);
    expect(await store.count(filter)).toBe(expected.length);
    // The same set through filtered search (k = all) and deleteWhere.
    const hits = await store.query([0, 0], { topK: 100, filter });
    expect(hits.map((h) => h.id).sort()).toEqual(expected);
    expect(await store.deleteWhere(filter)).toBe(expected.length);
    expect(store.size).toBe(Object.keys(DOCS).length - expected.length);
  });
});

const INVALID: [string, unknown, RegExp][] = [
  ['unknown field operator', { year: { $foo: 1 } }, /"year".*\$foo.*unknown operator/],
  ['$in without an array', { year: { $in: 5 } }, /"year".*\$in.*expected an array/],
  ['$nin without an array', { year: { $nin: 'x' } }, /"year".*\$nin.*expected an array/],
  ['$gt with an object', { year: { $gt: { a: 1 } } }, /"year".*\$gt.*number or a string/],
  ['$lt with null', { year: { $lt: null } }, /"year".*\$lt/],
  ['$gte with a boolean', { year: { $gte: true } }, /"year".*\$gte/],
  ['unknown top-level operator', { $xor: [] }, /\$xor.*unknown operator/],
  ['$or with an object', { $or: {} }, /\$or.*non-empty array/],
  ['$and empty', { $and: [] }, /\$and.*non-empty array/],
  ['$exists with a string', { year: { $exists: 'yes' } }, /"year".*\$exists.*true or false/],
  ['operators mixed with fields', { author: { $eq: 1, name: 'x' } }, /"author".*cannot mix/],
  ['empty path segment', { 'a..b': 1 }, /"a\.\.b"/],
  ['$not with a value', { year: { $not: 5 } }, /"year".*\$not/],
  ['non-JSON operand', { year: new Date() }, /"year".*JSON/],
  ['NaN operand', { year: { $eq: NaN } }, /"year".*finite/],
  ['a string filter', 'category', /filter: expected an object/],
];

describe('invalid filters reject with the path and operator', () => {
  it.each(INVALID)('%s', async (_name, filter, message) => {
    const store = await makeStore();
    await expect(store.query([0, 0], { filter: filter as Filter })).rejects.toThrow(message);
    await expect(store.count(filter as Filter)).rejects.toThrow(message);
    await expect(store.deleteWhere(filter as Filter)).rejects.toThrow(message);
    expect(store.size).toBe(Object.keys(DOCS).length);
  });
});

describe('metadata keys that name prototype members', () => {
  it('are stored as plain data and never reach Object.prototype', async () => {
    const store = new VectorStore({ dim: 1 });
    const metadata = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "x"}');
    await store.upsert([{ id: 'p', vector: [1], metadata }, { id: 'q', vector: [1] }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const [rec] = await store.get(['p']);
    expect(Object.prototype.hasOwnProperty.call(rec!.metadata, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(rec!.metadata)).toBe(Object.prototype);
    expect(await idsMatching(store, { '__proto__.polluted': 1 })).toEqual(['p']);
    expect(await idsMatching(store, { constructor: 'x' })).toEqual(['p']);
    expect(await idsMatching(store, { constructor: { $exists: true } })).toEqual(['p']);
    expect(await idsMatching(store, JSON.parse('{"__proto__": {"polluted": 1}}'))).toEqual(['p']);
  });
});

describe('field indexes follow upserts and deletes (random cross-check)', () => {
  const CATS = ['x', 'y', 'z', 'w'];
  function randomMeta(r: () => number): Metadata {
    const m: Metadata = {};
    if (r() < 0.8) m.cat = r() < 0.2 ? [CATS[(r() * 4) | 0], CATS[(r() * 4) | 0]] : CATS[(r() * 4) | 0];
    if (r() < 0.8) m.n = r() < 0.1 ? null : r() < 0.1 ? String((r() * 10) | 0) : Math.round(r() * 20) / 2;
    if (r() < 0.5) m.flag = r() < 0.5;
    if (r() < 0.5) m.sub = { k: CATS[(r() * 4) | 0], v: (r() * 5) | 0 };
    if (r() < 0.4) m.arr = Array.from({ length: (r() * 3) | 0 }, () => (r() * 10) | 0);
    return m;
  }
  function randomFilter(r: () => number, depth = 0): Filter {
    const pick = r();
    const cat = CATS[(r() * 4) | 0];
    const num = Math.round(r() * 20) / 2;
    if (depth < 2 && pick < 0.15) return { [['$and', '$or', '$nor'][(r() * 3) | 0]]: [randomFilter(r, depth + 1), randomFilter(r, depth + 1)] };
    if (depth < 2 && pick < 0.2) return { $not: randomFilter(r, depth + 1) };
    const leaf: Filter[] = [
      { cat }, { cat: { $ne: cat } }, { cat: { $in: [cat, 'y'] } }, { cat: { $nin: [cat] } }, { cat: { $exists: r() < 0.5 } },
      { n: { $gt: num } }, { n: { $gte: num, $lt: num + 3 } }, { n: { $lte: num } }, { n: null }, { n: { $ne: null } },
      { n: { $gte: '3' } }, { flag: r() < 0.5 }, { arr: { $gt: (r() * 10) | 0, $lt: (r() * 10) | 0 } }, { arr: (r() * 10) | 0 },
      { arr: { $gte: (r() * 10) | 0 } }, { arr: { $exists: false } }, { 'sub.k': cat }, { 'sub.v': { $lt: 3 } }, { n: { $not: { $lt: num } } },
    ];
    return leaf[(r() * leaf.length) | 0];
  }

  it('matches a direct evaluation after every step of 300 random writes', async () => {
    const r = rng(7);
    const store = new VectorStore({ dim: 1 });
    const model = new Map<string, Metadata>();
    for (let step = 0; step < 300; step++) {
      const op = r();
      if (op < 0.6) {
        const batch = Array.from({ length: 1 + ((r() * 5) | 0) }, () => ({ id: `id${(r() * 60) | 0}`, vector: [r()], metadata: randomMeta(r) }));
        await store.upsert(batch);
        for (const rec of batch) model.set(rec.id, rec.metadata);
      } else if (op < 0.85) {
        const ids = Array.from({ length: 3 }, () => `id${(r() * 60) | 0}`);
        await store.delete(ids);
        for (const id of ids) model.delete(id);
      } else {
        const f = randomFilter(r);
        await store.deleteWhere(f);
        for (const [id, m] of model) if (referenceMatch(m as never, f as never)) model.delete(id);
      }
      const f = randomFilter(r);
      const expected = [...model].filter(([, m]) => referenceMatch(m as never, f as never)).map(([id]) => id).sort();
      expect(await idsMatching(store, f), JSON.stringify(f)).toEqual(expected);
    }
  });
});
