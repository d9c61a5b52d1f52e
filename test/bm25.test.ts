// BM25 keyword index: ranking against a hand-computed formula, tokenisation,
// incremental add/replace/delete, persistence, and SciFact quality.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BM25Index } from '../src/rag/keyword/bm25.js';
import { createTokenizer, words } from '../src/rag/keyword/tokenize.js';
import { loadBeir } from '../src/rag/eval/beir.js';
import { evaluateRankings, ndcgAt, mrrAt, recallAt } from '../src/rag/eval/metrics.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('tokenize', () => {
  it('lower-cases, keeps inner apostrophes/periods, drops possessives, splits ideographs', () => {
    expect(words("The patient's U.S.A. visit cost 3.5 dollars; don't")).toEqual(['the', 'patient', 'u.s.a', 'visit', 'cost', '3.5', 'dollars', "don't"]);
    expect(words('Москва — СТОЛИЦА')).toEqual(['москва', 'столица']);
    expect(words('東京タワーabc')).toEqual(['東', '京', 'タ', 'ワ', 'ー', 'abc']);
    expect(words('ﬁne')).toEqual(['fine']); // NFKC folds the ligature
  });
  it('removes stop words and stems English words', () => {
    const t = createTokenizer();
    expect(t('The running of the connections')).toEqual(['run', 'connect']);
    expect(createTokenizer({ stopWords: false, stem: false })('The running')).toEqual(['the', 'running']);
    expect(createTokenizer({ stopWords: ['running'] })('The running')).toEqual(['the']);
  });
});

describe('BM25Index', () => {
  const docs = [
    { id: 'a', text: 'cats chase mice' },
    { id: 'b', text: 'dogs chase cats and cats chase dogs' },
    { id: 'c', text: 'birds sing' },
  ];

  it('scores with the Okapi BM25 formula (Lucene idf)', () => {
    const idx = new BM25Index({ k1: 1.2, b: 0.75, stem: false, stopWords: false });
    idx.add(docs);
    const hits = idx.search('mice', { k: 5 });
    // N = 3, df(mice) = 1, tf = 1, |a| = 3, avgdl = (3 + 7 + 2) / 3 = 4.
    const idf = Math.log(1 + (3 - 1 + 0.5) / (1 + 0.5));
    const expected = (idf * 1 * 2.2) / (1 + 1.2 * (1 - 0.75 + (0.75 * 3) / 4));
    expect(hits).toHaveLength(1);
    expect(hits[0].id).toBe('a');
    expect(hits[0].score).toBeCloseTo(expected, 12);
    // Higher tf wins for "cats": b has it twice.
    expect(idx.search('cats').map((h) => h.id)).toEqual(['b', 'a']);
  });

  it('returns nothing (not padding) when no query term matches', () => {
    const idx = new BM25Index();
    idx.add(docs);
    expect(idx.search('zebra unicorn')).toEqual([]);
    expect(idx.search('')).toEqual([]);
    expect(new BM25Index().search('cats')).toEqual([]);
  });

  it('replaces on re-add, deletes, honours filters and k', () => {
    const idx = new BM25Index();
    idx.add(docs);
    idx.add([{ id: 'a', text: 'only birds now' }]);
    expect(idx.size).toBe(3);
    expect(idx.search('mice')).toEqual([]);
    expect(idx.search('birds').map((h) => h.id).sort()).toEqual(['a', 'c']);
    expect(idx.search('birds', { filter: (id) => id !== 'c' }).map((h) => h.id)).toEqual(['a']);
    expect(idx.search('birds', { k: 1 })).toHaveLength(1);
    expect(idx.delete(['c', 'missing'])).toBe(1);
    expect(idx.has('c')).toBe(false);
    expect(idx.search('sing')).toEqual([]);
    expect(idx.size).toBe(2);
  });

  it('gives the same results after many deletes (compaction) as a fresh index', () => {
    const idx = new BM25Index();
    const all = Array.from({ length: 3000 }, (_, i) => ({ id: `d${i}`, text: `term${i % 50} common word${i % 13} extra${i % 7}` }));
    idx.add(all);
    idx.delete(all.filter((_, i) => i % 3 !== 0).map((d) => d.id));
    const fresh = new BM25Index();
    fresh.add(all.filter((_, i) => i % 3 === 0));
    for (const q of ['term3 word5', 'common extra2', 'term49']) {
      expect(idx.search(q, { k: 20 })).toEqual(fresh.search(q, { k: 20 }));
    }
  });

  it('serialises and loads back with identical results', async () => {
    const idx = new BM25Index({ k1: 1.1, b: 0.5 });
    idx.add(docs);
    idx.delete(['c']);
    const dir = mkdtempSync(join(tmpdir(), 'bm25-'));
    dirs.push(dir);
    await idx.save(join(dir, 'kw.json'));
    const loaded = await BM25Index.load(join(dir, 'kw.json'));
    expect(loaded.k1).toBe(1.1);
    expect(loaded.size).toBe(2);
    expect(loaded.search('cats chase')).toEqual(idx.search('cats chase'));
    expect(() => BM25Index.deserialize('{"format":"other"}')).toThrow(/quiver-bm25/);
  });

  it('rejects bad input without changing the index', () => {
    const idx = new BM25Index();
    idx.add(docs);
    expect(() => idx.add([{ id: 'x', text: 'ok' }, { id: 5 as unknown as string, text: 'bad' }])).toThrow(/docs\[1\]\.id/);
    expect(idx.has('x')).toBe(false);
    expect(() => new BM25Index({ b: 2 })).toThrow(/b: expected a number in \[0, 1\]/);
    expect(() => idx.search('x', { k: -1 })).toThrow(RangeError);
  });
});

describe('ranking metrics', () => {
  const rel = new Map([['a', 1], ['b', 2]]);
  it('computes nDCG, recall and MRR', () => {
    expect(ndcgAt(['b', 'a'], rel, 10)).toBeCloseTo(1, 12);
    const dcg = 1 / Math.log2(3);
    const idcg = 2 + 1 / Math.log2(3);
    expect(ndcgAt(['x', 'a'], rel, 10)).toBeCloseTo(dcg / idcg, 12);
    expect(recallAt(['x', 'a'], rel, 1)).toBe(0);
    expect(recallAt(['x', 'a'], rel, 2)).toBe(0.5);
    expect(mrrAt(['x', 'y', 'b'], rel, 10)).toBeCloseTo(1 / 3, 12);
  });
});

const scifact = resolve(__dirname, '../../shared/datasets/scifact');
const scifactTitle = existsSync(scifact) ? 'SciFact' : 'SciFact (skipped: ../shared/datasets/scifact absent)';
describe.skipIf(!existsSync(scifact))(scifactTitle, () => {
  it('BM25 over title + text reaches nDCG@10 >= 0.66 on the test split', async () => {
    const ds = await loadBeir(scifact);
    const idx = new BM25Index();
    idx.add(ds.corpus.map((d) => ({ id: d.id, text: `${d.title} ${d.text}` })));
    const rankings = new Map(ds.queries.map((q) => [q.id, idx.search(q.text, { k: 100 }).map((h) => h.id)]));
    const scores = evaluateRankings(rankings, ds.qrels);
    expect(scores.queries).toBe(300);
    expect(scores.ndcg10).toBeGreaterThanOrEqual(0.66);
    expect(scores.recall100).toBeGreaterThan(0.85);
  }, 60_000);
});
