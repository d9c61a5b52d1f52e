// HnswIndex with quantization: 'int8' (int8 codes for traversal, float32
// re-ranking): recall against exact search, exact distances, the range refit
// when later vectors fall outside it, memory, SIMD levels and the file format
// (save/load round trip, version 1 files, damaged quantizer sections).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex, type Metric } from '../src/index.js';
import { runAtEverySimdLevel } from './helpers/simd-children.js';
import { mixture, recall } from './helpers/reference.js';
// @ts-expect-error plain .mjs module without type declarations
import { checksum, reseal, sections } from './helpers/hnsw-file.mjs';




const METRICS: Metric[] = ['euclidean', 'cosine', 'ip'];
const dim = 48;
const n = 4000;
const all = mixture(n + 100, dim, 11, 20, 0.5); // a shared offset per dimension: norms matter
const data = all.subarray(0, n * dim);
const queries = all.subarray(n * dim);
const labels = Float64Array.from({ length: n }, (_, i) => i * 5 + 1);

describe('HnswIndex int8 quantization', () => {
  it.each(METRICS)('%s: recall@10 >= 0.95 against exact search, exact (re-ranked) distances', (metric) => {
    const h = new HnswIndex({ dim, metric, quantization: 'int8' });
    const plain = new HnswIndex({ dim, metric });
    const f = new FlatIndex({ dim, metric });
    expect(h.quantization).toBe('int8');
    expect(plain.quantization).toBe('none');
    h.add(labels, data);
    plain.add(labels, data);
    f.add(labels, data);
    const truth = f.searchBatch(queries, 10);
    const got = h.searchBatch(queries, 10, { ef: 64 });
    const r = recall(got.labels, truth.labels, 100, 10);
    expect(r).toBeGreaterThanOrEqual(0.95);
    // Not much below float32 traversal at the same ef.
    expect(r).toBeGreaterThanOrEqual(recall(plain.searchBatch(queries, 10, { ef: 64 }).labels, truth.labels, 100, 10) - 0.03);
    for (let i = 0; i < 100 * 10; i++)
      if (got.labels[i] === truth.labels[i]) expect(got.distances[i]).toBeCloseTo(truth.distances[i], 4);
    for (let i = 0; i < 100; i++) {
      const d = got.distances.subarray(i * 10, (i + 1) * 10);
      for (let j = 1; j < 10; j++) expect(d[j]).toBeGreaterThanOrEqual(d[j - 1]);
      // The single-query path gives the same answer.
      const one = h.search(queries.subarray(i * dim, (i + 1) * dim), 10, { ef: 64 });
      expect([...one.labels]).toEqual([...got.labels.subarray(i * 10, (i + 1) * 10)]);
    }
  });

  it('memory: dim more bytes per vector (rounded to 4) than float32 mode', () => {
    const a = new HnswIndex({ dim, metric: 'euclidean', quantization: 'int8' });
    const b = new HnswIndex({ dim, metric: 'euclidean' });
    a.add(labels, data);
    b.add(labels, data);
    const budget = 4 * dim + 8 * 16 + 48;
    expect(b.memoryBytes() / n).toBeLessThanOrEqual(budget);
    expect(a.memoryBytes() / n).toBeLessThanOrEqual(budget + dim);
    expect(a.memoryBytes() - b.memoryBytes()).toBeGreaterThanOrEqual(n * dim);
  });

  it('vectors added later outside the fitted range are still found (the range widens)', () => {
    const h = new HnswIndex({ dim, metric: 'euclidean', quantization: 'int8' });
    h.add(labels.subarray(0, 2000), data.subarray(0, 2000 * dim));
    // A second batch 20x wider and shifted: codes of the first fit would clip it.
    const wide = data.slice(2000 * dim).map((x, i) => 20 * x - 100 + (i % 7));
    h.add(labels.subarray(2000), wide);
    const f = new FlatIndex({ dim, metric: 'euclidean' });
    f.add(labels.subarray(0, 2000), data.subarray(0, 2000 * dim));
    f.add(labels.subarray(2000), wide);
    const qs = wide.subarray(0, 100 * dim);
    const got = h.searchBatch(qs, 10, { ef: 64 });
    // Nearly every one is its own nearest neighbour (float32 traversal of this
    // two-batch graph misses one or two at ef 64 too).
    let found = 0;
    for (let i = 0; i < 100; i++) found += got.labels[i * 10] === labels[2000 + i] ? 1 : 0;
    expect(found).toBeGreaterThanOrEqual(95);
    expect(recall(got.labels, f.searchBatch(qs, 10).labels, 100, 10)).toBeGreaterThanOrEqual(0.95);
    // The first batch is still searchable under the widened range, though its
    // codes are now 20x coarser (one step for the whole range), so a few exact
    // matches fall out of the top-1 at this ef.
    const old = h.searchBatch(data.subarray(0, 100 * dim), 1, { ef: 64 });
    let self = 0;
    for (let i = 0; i < 100; i++) self += old.labels[i] === labels[i] ? 1 : 0;
    console.log(`int8 widened range: ${self}/100 first-batch vectors are their own top-1 at ef 64`);
    expect(self).toBeGreaterThanOrEqual(85);
  });

  it('filters and deleted nodes (the two-heap search) work on codes too, with exact distances', () => {
    const h = new HnswIndex({ dim, metric: 'euclidean', quantization: 'int8' });
    const f = new FlatIndex({ dim, metric: 'euclidean' });
    h.add(labels, data);
    f.add(labels, data);
    const gone = labels.filter((_, i) => i % 10 === 0);
    h.remove(gone);
    f.remove(gone);
    const allowed = labels.filter((_, i) => i % 3 !== 0);
    const allowedSet = new Set(allowed);
    const got = h.searchBatch(queries, 10, { ef: 128, filter: allowed });
    const truth = f.searchBatch(queries, 10, { filter: allowed });
    for (const l of got.labels) {
      expect(allowedSet.has(l)).toBe(true);
      expect(gone.includes(l)).toBe(false);
    }
    expect(recall(got.labels, truth.labels, 100, 10)).toBeGreaterThanOrEqual(0.95);
    for (let i = 0; i < 100 * 10; i++)
      if (got.labels[i] === truth.labels[i]) expect(got.distances[i]).toBeCloseTo(truth.distances[i], 4);
    const plain = h.searchBatch(queries, 10, { ef: 64 });
    expect(recall(plain.labels, f.searchBatch(queries, 10).labels, 100, 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('one-at-a-time adds, deletes and constant vectors work', () => {
    const h = new HnswIndex({ dim: 4, metric: 'euclidean', quantization: 'int8' });
    h.add([1], [[2, 2, 2, 2]]);
    expect(h.search([2, 2, 2, 2], 1).labels[0]).toBe(1);
    h.add([2], [[2, 2, 2, 2]]);
    h.add([3], [[5, -1, 0, 9]]);
    expect([...h.search([5, -1, 0, 9], 3).labels]).toEqual([3, 1, 2]);
    h.remove([3]);
    expect([...h.search([5, -1, 0, 9], 3).labels]).toEqual([1, 2]);
  });

  it('every SIMD level gives the same neighbours (child processes with QUIVER_SIMD)', async () => {
    const script = `
      const { HnswIndex } = await import(${JSON.stringify(join(__dirname, '../dist/index.js'))});
      const { seededRandom } = await import(${JSON.stringify(join(__dirname, '../bench/lib/rng.mjs'))});
      const dim = 37, n = 2000, v = new Float32Array(n * dim);
      const r = seededRandom(5); for (let i = 0; i < v.length; i++) v[i] = r.uniform() * 4 - 2;
      const out = [];
      for (const metric of ['euclidean', 'cosine', 'ip']) {
        const h = new HnswIndex({ dim, metric, quantization: 'int8', seed: 1 });
        h.add(Float64Array.from({ length: n }, (_, i) => i), v, { threads: 1 });
        for (let i = 0; i < 20; i++) out.push(...h.search(v.subarray(i * dim, (i + 1) * dim), 5, { ef: 40 }).labels);
      }
      console.log(JSON.stringify(out));`;
    const results = await runAtEverySimdLevel<number[]>(script, 60_000);
    for (const r of results) expect(r.length).toBe(300);
    // Codes score exactly alike at every level; the float re-ranking may differ in
    // the last bits between levels, so allow rare swaps of near-ties.
    for (const r of results.slice(1)) {
      const same = r.filter((x: number, i: number) => x === results[0][i]).length;
      expect(same / r.length).toBeGreaterThanOrEqual(0.97);
    }
  }, 60_000);
});

describe('HnswIndex int8 save and load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-hnsw-int8-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(METRICS)('%s: a round trip keeps the quantizer and gives identical results', async (metric) => {
    const h = new HnswIndex({ dim, metric, quantization: 'int8', seed: 2 });
    h.add(labels, data);
    h.remove(labels.slice(0, 50));
    const path = join(dir, `${metric}.hnsw`);
    await h.save(path);
    const file = readFileSync(path);
    expect(file.readUInt32LE(8)).toBe(2);
    expect(file.readUInt32LE(72)).toBe(1);
    expect(sections(file).map((s) => s.tag)).toEqual(['LABL', 'META', 'VECS', 'LNK0', 'LNKU', 'QNT8']);
    const a = await HnswIndex.load(path);
    const b = HnswIndex.loadSync(path);
    for (const l of [a, b]) {
      expect(l.quantization).toBe('int8');
      expect(l.memoryBytes()).toBe(h.memoryBytes());
      const x = l.searchBatch(queries, 10, { ef: 48 }), y = h.searchBatch(queries, 10, { ef: 48 });
      expect([...x.labels]).toEqual([...y.labels]);
      expect([...x.distances]).toEqual([...y.distances]);
    }
    a.add([1e6], [queries.subarray(0, dim)]);
    if (metric !== 'ip') expect(a.search(queries.subarray(0, dim), 1, { ef: 64 }).labels[0]).toBe(1e6);
    expect(a.has(1e6)).toBe(true);
  });

  it('float32 indexes save as version 2 with quantization 0 and 5 sections; version 1 files still load', () => {
    const h = new HnswIndex({ dim, metric: 'euclidean', seed: 4 });
    h.add(labels, data);
    const path = join(dir, 'plain.hnsw');
    h.saveSync(path);
    const file = readFileSync(path);
    expect(file.readUInt32LE(8)).toBe(2);
    expect(file.readUInt32LE(72)).toBe(0);
    expect(sections(file).length).toBe(5);
    const v1 = Buffer.from(file);
    v1.writeUInt32LE(1, 8);
    const v1path = join(dir, 'v1.hnsw');
    writeFileSync(v1path, reseal(v1));
    const l = HnswIndex.loadSync(v1path);
    expect(l.quantization).toBe('none');
    expect([...l.searchBatch(queries, 10).labels]).toEqual([...h.searchBatch(queries, 10).labels]);
  });

  it('damaged quantizer data and header fields are rejected, even re-sealed', () => {
    const h = new HnswIndex({ dim, metric: 'cosine', quantization: 'int8' });
    h.add(labels.subarray(0, 500), data.subarray(0, 500 * dim));
    const path = join(dir, 'q.hnsw');
    h.saveSync(path);
    const file = readFileSync(path);
    const q = sections(file).find((s) => s.tag === 'QNT8')!;
    const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
      ['step 0', (b) => b.writeFloatLE(0, q.start), /quantizer step/],
      ['step NaN', (b) => b.writeFloatLE(NaN, q.start), /quantizer step/],
      ['offset inf', (b) => b.writeFloatLE(Infinity, q.start + 4 + 8), /quantizer offset 2/],
      ['unknown quantization', (b) => b.writeUInt32LE(2, 72), /unknown quantization id 2/],
      ['reserved bytes', (b) => b.writeUInt32LE(1, 80), /reserved header bytes/],
      ['quantization 0 with a QNT8 section', (b) => b.writeUInt32LE(0, 72), /section count/],
    ];
    for (const [name, edit, message] of cases) {
      const copy = Buffer.from(file);
      edit(copy);
      const p = join(dir, `bad-${name.replace(/\W+/g, '-')}.hnsw`);
      writeFileSync(p, reseal(copy));
      expect(() => HnswIndex.loadSync(p), name).toThrow(message);
    }
    // Cut inside QNT8, or its payload length changed.
    writeFileSync(join(dir, 'cut.hnsw'), file.subarray(0, file.length - 3));
    expect(() => HnswIndex.loadSync(join(dir, 'cut.hnsw'))).toThrow(/truncated|QNT8/);
    const longer = Buffer.concat([file, Buffer.alloc(4)]);
    longer.writeBigUInt64LE(BigInt(q.len + 4), q.at + 8);
    writeFileSync(join(dir, 'long.hnsw'), reseal(longer));
    expect(() => HnswIndex.loadSync(join(dir, 'long.hnsw'))).toThrow(/QNT8 has the wrong length/);
  });
});
