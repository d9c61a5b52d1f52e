// Issue 11, defects 15 and 16, and HnswIndex.load's peak memory.
// - Native memory is reported to V8 (AdjustExternalMemory on growth, shrink and
//   destruction), so dropped indexes and allow-lists are collected without
//   --expose-gc: RSS of a create-and-drop loop stays bounded (child processes).
// - FlatIndex grows exactly for bulk adds and by x1.25 for small ones; reserve(n)
//   sizes it once; remove() gives storage back.
// - HnswIndex.load streams sections into the index: its peak RSS is about the
//   index, not file + index.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex, HnswIndex } from '../src/index.js';
import { randomVectors } from './helpers/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ADDON = process.env.QUIVER_NATIVE_PATH ?? join(process.cwd(), 'build/Release/quiverdb.node');
const MB = 1 << 20;

// Runs an ES module body in a fresh node (no --expose-gc) with `addon` in scope;
// the body prints one JSON line. The drop loops yield to the event loop each round
// (as any server does): Node runs N-API finalizers from the event loop.
function child(body: string, timeout = 240_000) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { createRequire } from 'node:module';
    const addon = createRequire(import.meta.url)(${JSON.stringify(ADDON)});
    ${body}
  `], { encoding: 'utf8', timeout, maxBuffer: 16 * MB });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('dropped native objects are collected (memory reported to V8)', () => {
  it('150 dropped FlatIndexes of 20k x 128 keep RSS bounded', () => {
    const out = child(`
      const dim = 128, n = 20000;
      const labels = Float64Array.from({ length: n }, (_, i) => i);
      const vecs = new Float32Array(n * dim).map((_, i) => (i % 97) / 97);
      let peak = 0;
      for (let i = 0; i < 150; i++) {
        const f = new addon.NativeFlatIndex(dim, 'euclidean');
        f.add(labels, vecs);
        await new Promise((r) => setImmediate(r));
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      console.log(JSON.stringify({ peak }));
    `);
    // 150 x ~10 MB = 1.5 GB if nothing were collected.
    expect(out.peak).toBeLessThan(800 * MB);
  }, 300_000);

  it('150 dropped HnswIndexes (loaded from a file) keep RSS bounded', () => {
    const path = join(dir, 'drop.hnsw');
    const out = child(`
      const dim = 256, n = 10000;
      const h = new addon.NativeHnswIndex(dim, 'euclidean', 2, 2, 8, 1, 'none');
      h.add(Float64Array.from({ length: n }, (_, i) => i), new Float32Array(n * dim).map((_, i) => (i % 89) / 89));
      h.save(${JSON.stringify(path)});
      let peak = 0;
      for (let i = 0; i < 150; i++) {
        const g = addon.NativeHnswIndex.load(${JSON.stringify(path)});
        g.add(new Float64Array([n + i]), new Float32Array(dim));
        await new Promise((r) => setImmediate(r));
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      console.log(JSON.stringify({ peak, bytes: h.memoryBytes() }));
    `);
    expect(out.bytes).toBeGreaterThan(10 * MB);
    // 150 x ~10.5 MB = 1.6 GB if nothing were collected.
    expect(out.peak).toBeLessThan(800 * MB);
  }, 300_000);

  it('200 dropped AllowLists of 1M sparse labels keep RSS bounded', () => {
    const out = child(`
      const labels = Float64Array.from({ length: 1 << 20 }, (_, i) => i * 1e6);
      let peak = 0;
      for (let i = 0; i < 200; i++) {
        const a = new addon.NativeAllowList(labels);
        if (a.count() !== labels.length) throw new Error('count');
        await new Promise((r) => setImmediate(r));
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      console.log(JSON.stringify({ peak }));
    `);
    // 200 x 8 MB = 1.6 GB if nothing were collected.
    expect(out.peak).toBeLessThan(800 * MB);
  }, 300_000);
});

describe('FlatIndex storage growth (defect 16)', () => {
  const dim = 32;

  it('an add of n vectors to an empty index allocates exactly n (rounded to a block of 16)', () => {
    for (const n of [1, 16, 1000, 10000, 12345]) {
      const f = new FlatIndex({ dim, metric: 'euclidean' });
      f.add(Float64Array.from({ length: n }, (_, i) => i), randomVectors(n, dim, n));
      expect(f.capacity).toBe(Math.ceil(n / 16) * 16);
      expect(f.memoryBytes()).toBeLessThan(1.25 * Math.ceil(n / 16) * 16 * (dim * 4 + 20) + 64 * 1024 + n * 48);
    }
  });

  it('one-at-a-time adds grow by x1.25, not x2; replacing labels does not grow', () => {
    const f = new FlatIndex({ dim, metric: 'ip' });
    const v = randomVectors(1, dim, 1);
    let prev = 0, grows = 0;
    for (let i = 0; i < 5000; i++) {
      f.add([i], v);
      const cap = f.capacity;
      if (cap !== prev) {
        if (prev >= 64) expect(cap).toBeLessThanOrEqual(Math.ceil((prev * 1.25) / 16) * 16 + 16);
        prev = cap;
        grows++;
      }
      expect(cap).toBeGreaterThanOrEqual(f.size);
    }
    expect(f.capacity / f.size).toBeLessThanOrEqual(1.27);
    expect(grows).toBeLessThan(40);
    const cap = f.capacity;
    f.add(Float64Array.from({ length: 5000 }, (_, i) => i), randomVectors(5000, dim, 2));
    expect(f.capacity).toBe(cap);
  });

  it('reserve(n) sizes storage once; chunked adds up to n do not reallocate', () => {
    const f = new FlatIndex({ dim, metric: 'cosine' });
    f.reserve(10000);
    expect(f.capacity).toBe(10000);
    const bytes = f.memoryBytes();
    for (let c = 0; c < 10; c++) f.add(Float64Array.from({ length: 1000 }, (_, i) => c * 1000 + i), randomVectors(1000, dim, c));
    expect(f.capacity).toBe(10000);
    expect(f.size).toBe(10000);
    expect(f.memoryBytes() - bytes).toBeLessThan(10000 * 64); // only the label table grew
    f.reserve(5);
    expect(f.capacity).toBe(10000);
    expect(() => f.reserve(-1)).toThrow(RangeError);
    expect(() => f.reserve(1.5)).toThrow(RangeError);
    expect(() => f.reserve('3' as unknown as number)).toThrow(TypeError);
  });

  it('remove() never grows storage and gives it back below half full; results stay right', () => {
    const f = new FlatIndex({ dim, metric: 'euclidean' });
    const n = 8000;
    const data = randomVectors(n, dim, 5);
    f.add(Float64Array.from({ length: n }, (_, i) => i), data);
    const full = f.memoryBytes();
    let cap = f.capacity;
    for (let i = 0; i < n - 100; i += 100) {
      f.remove(Float64Array.from({ length: 100 }, (_, j) => i + j));
      expect(f.capacity).toBeLessThanOrEqual(cap);
      cap = f.capacity;
    }
    expect(f.size).toBe(100);
    expect(f.capacity).toBeLessThan(400);
    expect(f.memoryBytes()).toBeLessThan(full / 10);
    for (let l = n - 100; l < n; l++) expect(f.get(l)).toEqual(data.subarray(l * dim, (l + 1) * dim));
    const res = f.search(data.subarray((n - 1) * dim, n * dim), 3);
    expect(res.labels[0]).toBe(n - 1);
    f.add([1], data.subarray(0, dim));
    expect(f.search(data.subarray(0, dim), 1).labels[0]).toBe(1);
  });
});

describe('HnswIndex.load peak memory', () => {
  it('loads a file with peak RSS about the index size, not file + index', () => {
    const path = join(dir, 'peak.hnsw');
    child(`
      const dim = 512, n = 60000;
      const h = new addon.NativeHnswIndex(dim, 'euclidean', 2, 2, 8, 1, 'none');
      const vecs = new Float32Array(n * dim);
      for (let i = 0; i < vecs.length; i++) vecs[i] = Math.sin(i);
      h.add(Float64Array.from({ length: n }, (_, i) => i), vecs);
      h.save(${JSON.stringify(path)});
      console.log('{}');
    `);
    const fileBytes = statSync(path).size;
    expect(fileBytes).toBeGreaterThan(100 * MB);
    const out = child(`
      const before = process.resourceUsage().maxRSS * 1024;
      const g = addon.NativeHnswIndex.load(${JSON.stringify(path)});
      const after = process.resourceUsage().maxRSS * 1024;
      console.log(JSON.stringify({ grew: after - before, size: g.size(), bytes: g.memoryBytes() }));
    `);
    expect(out.size).toBe(60000);
    // Reading the whole file first cost file + index (~2x the file).
    expect(out.grew).toBeLessThan(1.3 * fileBytes);
  }, 300_000);
});
