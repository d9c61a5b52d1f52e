// Issue 11, defects 10 and 13. Every state an HnswIndex can reach through the API
// saves to a file that loads back equal (by class: empty, emptied, one vector,
// constant vectors, the widest accepted ranges, churn; every metric, both
// quantizations), save never replaces a good file with one load would reject,
// and load refuses non-regular files (FIFO, directory, /dev/zero) at once.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HnswIndex, type Metric } from '../src/index.js';
import { rng } from './helpers/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'quiver-save-states-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const METRICS: Metric[] = ['euclidean', 'cosine', 'ip'];
const MAX = 1e15;

type State = { name: string; build: (idx: HnswIndex, dim: number) => void };

function rows(n: number, dim: number, f: (i: number, d: number) => number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) out[i * dim + d] = f(i, d);
  return out;
}
const labels = (n: number, from = 0) => Float64Array.from({ length: n }, (_, i) => from + i);

const STATES: State[] = [
  { name: 'empty', build: () => {} },
  { name: 'emptied', build: (idx, dim) => { idx.add(labels(5), rows(5, dim, (i, d) => i + d)); idx.remove(labels(5)); } },
  { name: 'emptied after compact', build: (idx, dim) => { idx.add(labels(50), rows(50, dim, (i, d) => i - d)); idx.remove(labels(49)); idx.compact(); idx.remove([49]); } },
  { name: 'one vector', build: (idx, dim) => idx.add([7], rows(1, dim, (_, d) => d + 0.5)) },
  { name: 'one zero vector', build: (idx, dim) => idx.add([7], rows(1, dim, () => 0)) },
  { name: 'constant vectors', build: (idx, dim) => idx.add(labels(20), rows(20, dim, () => 3)) },
  { name: 'widest range', build: (idx, dim) => idx.add(labels(4), rows(4, dim, (i, d) => ((i + d) % 2 ? MAX : -MAX))) },
  { name: 'widened range', build: (idx, dim) => { idx.add(labels(3), rows(3, dim, (i) => i)); idx.add(labels(3, 10), rows(3, dim, (i) => (i - 1) * MAX)); } },
  { name: 'tiny range', build: (idx, dim) => idx.add(labels(10), rows(10, dim, (i, d) => 1 + (i + d) * 1e-7)) },
  { name: 'deleted slots', build: (idx, dim) => { const r = rng(3); idx.add(labels(60), rows(60, dim, () => r())); idx.remove(labels(20)); } },
  { name: 'freed slots', build: (idx, dim) => { const r = rng(4); idx.add(labels(60), rows(60, dim, () => r())); idx.remove(labels(30)); idx.compact(); } },
];

function expectEqual(a: HnswIndex, b: HnswIndex) {
  expect(b.size).toBe(a.size);
  expect(b.metric).toBe(a.metric);
  expect(b.quantization).toBe(a.quantization);
  const la = Array.from(a.labels()).sort((x, y) => x - y), lb = Array.from(b.labels()).sort((x, y) => x - y);
  expect(lb).toEqual(la);
  for (const l of la) expect(b.get(l)).toEqual(a.get(l));
  if (a.size > 0) {
    const q = a.get(la[0])!;
    expect(b.search(q, 5)).toEqual(a.search(q, 5));
  }
}

describe('every reachable HnswIndex state saves and loads back equal', () => {
  for (const quantization of ['none', 'int8', 'rabitq'] as const)
    for (const metric of METRICS)
      it(`${quantization} ${metric}`, async () => {
        for (const state of STATES) {
          const dim = 3;
          const idx = new HnswIndex({ dim, metric, quantization, M: 4, efConstruction: 32 });
          state.build(idx, dim);
          const path = join(dir, `${quantization}-${metric}-${state.name.replace(/ /g, '_')}.hnsw`);
          idx.saveSync(path);
          let loaded: HnswIndex;
          try {
            loaded = HnswIndex.loadSync(path);
          } catch (e) {
            throw new Error(`${state.name}: ${String(e)}`);
          }
          expectEqual(idx, loaded);
          await idx.save(path);
          expectEqual(idx, await HnswIndex.load(path));
          // The loaded copy keeps working: add, search, save, load.
          loaded.add([1000], rows(1, dim, (_, d) => d));
          loaded.saveSync(path);
          expectEqual(loaded, HnswIndex.loadSync(path));
        }
      });
});

describe('HnswIndex.load refuses non-regular files at once', () => {
  const child = (path: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { createRequire } from 'node:module';
      const addon = createRequire(import.meta.url)(${JSON.stringify(join(process.cwd(), 'build/Release/quiverdb.node'))});
      const out = [];
      try { addon.NativeHnswIndex.load(${JSON.stringify(path)}); out.push('loaded'); } catch (e) { out.push(e.message); }
      const rs = await Promise.allSettled([1, 2, 3, 4, 5].map(() => addon.NativeHnswIndex.loadAsync(${JSON.stringify(path)})));
      for (const r of rs) out.push(r.status === 'fulfilled' ? 'loaded' : r.reason.message);
      console.log(JSON.stringify(out));
    `], { encoding: 'utf8', timeout: 20_000 });

  it.each([
    ['a FIFO', () => { const p = join(dir, 'fifo'); if (!existsSync(p)) execFileSync('mkfifo', [p]); return p; }],
    ['a directory', () => dir],
    ['/dev/zero', () => '/dev/zero'],
  ])('%s', (_name, path) => {
    const r = child(path());
    expect(r.signal, 'load blocked (killed by the timeout)').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out: string[] = JSON.parse(r.stdout.trim());
    expect(out).toHaveLength(6);
    for (const m of out) expect(m).toMatch(/cannot load HNSW index from .*not a regular file/);
  }, 30_000);
});

describe('save validates what it writes', () => {
  it('a good file is never replaced by one load rejects', () => {
    const path = join(dir, 'keep.hnsw');
    const good = new HnswIndex({ dim: 2, metric: 'euclidean', quantization: 'int8' });
    good.add([1, 2], [[0, 1], [1, 0]]);
    good.saveSync(path);
    const bytes = readFileSync(path);
    // States that used to write unloadable files now save loadable ones.
    const empty = new HnswIndex({ dim: 2, metric: 'euclidean', quantization: 'int8' });
    empty.saveSync(path);
    expect(HnswIndex.loadSync(path).size).toBe(0);
    writeFileSync(path, bytes);
    expect(HnswIndex.loadSync(path).size).toBe(2);
  });
});
