// FlatIndex batch search (the register-tiled GEMM path) against a loop of
// single-query search() and against a plain JS exact model, at every SIMD level
// the CPU has (child processes with QUIVER_SIMD):
//   - random data over many shapes (rows around the block and query-tile
//     boundaries, dims 1..70 and 128/384/768, k 1..rows+2, query counts around
//     the tile sizes and of 32/40, where AVX2 runs the int8 first pass, filters):
//     batch == loop bit for bit, and both a valid exact top k by the model;
//   - tie-heavy data (small integers: many duplicates, zero vectors, distinct rows
//     at equal distances), where float32 arithmetic is exact, so the model gives
//     the one right answer: every k, labels and distances exactly equal, ties by
//     label, however many rows tie at the k-th distance.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FlatIndex, availableSimdLevels, simdLevel, type Metric } from '../src/index.js';
import { rng } from './helpers/reference.js';

const execFileAsync = promisify(execFile);
const CHILD = process.env.QUIVER_FLAT_BATCH_CHILD === '1';
const METRICS: Metric[] = ['euclidean', 'cosine', 'ip'];
const f32 = Math.fround;

/**
 * The user-visible distance in float32 semantics: exact when the inputs are small
 * integers (every sum is exact, and one rounding of the double result equals the
 * float32 operation's rounding for sqrt and division), and at dim 1 for any
 * values (one product, exact in double). Otherwise within rounding of the native value.
 */
function modelDistance(metric: Metric, q: Float32Array, x: Float32Array): number {
  let dot = 0, qq = 0, xx = 0, l2 = 0;
  for (let d = 0; d < q.length; d++) {
    dot += q[d] * x[d];
    qq += q[d] * q[d];
    xx += x[d] * x[d];
    const diff = f32(q[d] - x[d]); // as float32 rounds it (exact for small integers)
    l2 += diff * diff;
  }
  if (metric === 'euclidean') return f32(Math.sqrt(f32(l2)));
  if (metric === 'ip') return f32(1 - f32(dot));
  const qn = f32(Math.sqrt(f32(qq))), xn = f32(Math.sqrt(f32(xx)));
  if (qn === 0 || xn === 0) return 1;
  const sim = f32(f32(dot) / f32(qn * xn));
  return Math.min(2, Math.max(0, f32(1 - sim)));
}

interface Hit { label: number; distance: number }
function modelTopK(metric: Metric, data: Float32Array, dim: number, labels: number[], allowed: (l: number) => boolean, q: Float32Array, k: number): Hit[] {
  const all: Hit[] = [];
  for (let i = 0; i < labels.length; i++)
    if (allowed(labels[i])) all.push({ label: labels[i], distance: modelDistance(metric, q, data.subarray(i * dim, (i + 1) * dim)) });
  all.sort((a, b) => a.distance - b.distance || a.label - b.label);
  return all.slice(0, k);
}

/** Labels not in row order (so label order and slot order differ). */
function shuffledLabels(n: number, seed: number): number[] {
  const labels = Array.from({ length: n }, (_, i) => i * 3 + 7);
  const r = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return labels;
}

/** Small-integer rows: copies of earlier rows, zero rows and values in -2..2. */
function tieHeavyRows(n: number, dim: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const kind = r();
    if (kind < 0.2) continue; // zero vector
    if (kind < 0.6 && i > 0) {
      const src = Math.floor(r() * i);
      out.copyWithin(i * dim, src * dim, (src + 1) * dim);
      continue;
    }
    for (let d = 0; d < dim; d++) out[i * dim + d] = Math.floor(r() * 5) - 2;
  }
  return out;
}

function rowsOf(flat: Float64Array | Float32Array, k: number, qi: number): number[] {
  return Array.from(flat.subarray(qi * k, (qi + 1) * k));
}

interface Outcome { mismatches: string[]; searches: number }

/** Batch vs loop bit-exact, and both a valid top k of the model (within rounding). */
function randomShapes(): Outcome {
  const mismatches: string[] = [];
  let searches = 0;
  const dims = [...Array.from({ length: 70 }, (_, i) => i + 1), 128, 384, 768];
  const sizes = [1, 2, 5, 6, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 95, 96, 97, 130];
  let seed = 11;
  for (const metric of METRICS)
    dims.forEach((dim, di) => {
      // Four sizes per (metric, dim), rotating so every size meets many dims.
      for (let s = 0; s < 4; s++) {
        const n = sizes[(di * 4 + s + METRICS.indexOf(metric)) % sizes.length];
        const r = rng(seed++);
        const data = Float32Array.from({ length: n * dim }, () => r() * 2 - 1);
        const labels = shuffledLabels(n, seed++);
        const flat = new FlatIndex({ dim, metric });
        flat.add(labels, data);
        // 32 and 40: the int8 first pass of AVX2 (batches of >= 32 queries, dim 32-1024).
        const nqs = dim >= 32 ? [1, 5, 6, 7, 8, 9, 13, 32, 40] : [1, 5, 6, 7, 8, 9, 13];
        const nq = nqs[(di + s) % nqs.length];
        const queries = Float32Array.from({ length: nq * dim }, () => r() * 2 - 1);
        if (nq > 1) queries.set(data.subarray(0, dim), dim); // a stored row: distance 0
        const allowSet = new Set(labels.filter((_, i) => i % 3 !== 1));
        for (const withFilter of [false, true]) {
          const filter = withFilter ? { filter: (l: number) => allowSet.has(l) } : {};
          const allowed = withFilter ? (l: number) => allowSet.has(l) : () => true;
          const models = Array.from({ length: nq }, (_, qi) =>
            modelTopK(metric, data, dim, labels, allowed, queries.subarray(qi * dim, (qi + 1) * dim), n));
          const modelOfs = models.map((m) => new Map(m.map((h) => [h.label, h.distance])));
          for (const k of [...new Set([1, 2, 3, 10, Math.max(1, n - 1), n, n + 2])]) {
            const batch = flat.searchBatch(queries, k, { ...filter, threads: 1 });
            for (let qi = 0; qi < nq; qi++) {
              searches++;
              const where = `${metric} dim ${dim} n ${n} nq ${nq} q ${qi} k ${k}${withFilter ? ' filtered' : ''}`;
              const q = queries.subarray(qi * dim, (qi + 1) * dim);
              const one = flat.search(q, k, filter);
              const gotL = rowsOf(batch.labels, batch.k, qi), gotD = rowsOf(batch.distances, batch.k, qi);
              if (gotL.join() !== Array.from(one.labels).join() || gotD.join() !== Array.from(one.distances).join()) {
                mismatches.push(`${where}: batch ${gotL}/${gotD} vs search() ${Array.from(one.labels)}/${Array.from(one.distances)}`);
                continue;
              }
              const want = models[qi].slice(0, k);
              if (gotL.length !== want.length) {
                mismatches.push(`${where}: ${gotL.length} results, model ${want.length}`);
                continue;
              }
              // float32 rounding grows with the magnitudes summed (|q| |x| for ip).
              const tol = 2e-5 * (1 + Math.max(...models[qi].map((h) => Math.abs(h.distance))));
              const modelOf = modelOfs[qi]; // allowed labels only
              for (let j = 0; j < gotL.length; j++) {
                const m = modelOf.get(gotL[j]);
                const bad = m === undefined || Math.abs(m - gotD[j]) > tol ||
                  Math.abs(gotD[j] - want[j].distance) > tol || (j > 0 && gotD[j] < gotD[j - 1]) ||
                  (j > 0 && gotD[j] === gotD[j - 1] && gotL[j] <= gotL[j - 1]);
                if (bad) {
                  mismatches.push(`${where} rank ${j}: ${gotL[j]} at ${gotD[j]}, model ${want[j].label} at ${want[j].distance}`);
                  break;
                }
              }
            }
          }
        }
      }
    });
  return { mismatches: mismatches.slice(0, 20), searches };
}

/** Tie-heavy data: every k, exactly the model's answer, batch and single. */
function tieHeavy(): Outcome {
  const mismatches: string[] = [];
  let searches = 0;
  let seed = 5;
  const check = (where: string, got: { labels: ArrayLike<number>; distances: ArrayLike<number> }, want: Hit[]) => {
    searches++;
    const gl = Array.from(got.labels).join(), gd = Array.from(got.distances).join();
    if (gl !== want.map((h) => h.label).join() || gd !== want.map((h) => h.distance).join()) {
      mismatches.push(`${where}: got ${gl} / ${gd}, model ${want.map((h) => h.label)} / ${want.map((h) => h.distance)}`);
      return false;
    }
    return true;
  };
  for (const metric of METRICS)
    for (const dim of [1, 2, 3, 8, 9, 17, 33, 128])
      for (const n of [1, 6, 16, 17, 40, 97]) {
        const data = tieHeavyRows(n, dim, seed++);
        const labels = shuffledLabels(n, seed++);
        const flat = new FlatIndex({ dim, metric });
        flat.add(labels, data);
        const r = rng(seed++);
        const nq = dim >= 32 ? 33 : 7; // 33 queries take the int8 first pass on AVX2
        const queries = new Float32Array(nq * dim); // query 0: the zero vector
        for (let qi = 1; qi < nq; qi++) {
          if (qi <= 2) queries.set(data.subarray(((qi * 13) % n) * dim, ((qi * 13) % n + 1) * dim), qi * dim);
          else for (let d = 0; d < dim; d++) queries[qi * dim + d] = Math.floor(r() * 5) - 2;
        }
        const allowSet = new Set(labels.filter((_, i) => i % 4 !== 2));
        for (const withFilter of [false, true]) {
          const filter = withFilter ? { filter: (l: number) => allowSet.has(l) } : {};
          const allowed = withFilter ? (l: number) => allowSet.has(l) : () => true;
          const models = Array.from({ length: nq }, (_, qi) =>
            modelTopK(metric, data, dim, labels, allowed, queries.subarray(qi * dim, (qi + 1) * dim), n));
          for (let k = 1; k <= n + 1; k++) {
            const batch = flat.searchBatch(queries, k, filter);
            for (let qi = 0; qi < nq; qi++) {
              const q = queries.subarray(qi * dim, (qi + 1) * dim);
              const want = models[qi].slice(0, k);
              const where = `${metric} dim ${dim} n ${n} q ${qi} k ${k}${withFilter ? ' filtered' : ''}`;
              const b = { labels: rowsOf(batch.labels, batch.k, qi), distances: rowsOf(batch.distances, batch.k, qi) };
              if (!check(`${where} (batch)`, b, want)) continue;
              check(`${where} (search)`, flat.search(q, k, filter), want);
            }
          }
        }
      }
  // Rows in {-1, 0, 1}: large classes of rows at the same distance whose ranking
  // keys differ by rounding (cosine: |x| = sqrt(nonzeros), so q.x/|x| rounds
  // differently for rows of the same similarity), more of them than k.
  for (const metric of METRICS)
    for (const dim of [9, 12, 16])
      for (const n of [300, 1000]) {
        const r = rng(seed++);
        const data = Float32Array.from({ length: n * dim }, () => { const v = r(); return v < 0.5 ? 0 : v < 0.75 ? 1 : -1; });
        const labels = shuffledLabels(n, seed++);
        const flat = new FlatIndex({ dim, metric });
        flat.add(labels, data);
        const nq = 9;
        const queries = Float32Array.from({ length: nq * dim }, () => Math.floor(r() * 3) - 1);
        const models = Array.from({ length: nq }, (_, qi) =>
          modelTopK(metric, data, dim, labels, () => true, queries.subarray(qi * dim, (qi + 1) * dim), n));
        for (const k of [...Array.from({ length: 40 }, (_, i) => i + 1), 64, 100, 250, n]) {
          const batch = flat.searchBatch(queries, k);
          for (let qi = 0; qi < nq; qi++) {
            const q = queries.subarray(qi * dim, (qi + 1) * dim);
            const want = models[qi].slice(0, k);
            const where = `coarse ${metric} dim ${dim} n ${n} q ${qi} k ${k}`;
            const b = { labels: rowsOf(batch.labels, batch.k, qi), distances: rowsOf(batch.distances, batch.k, qi) };
            if (!check(`${where} (batch)`, b, want)) continue;
            check(`${where} (search)`, flat.search(q, k), want);
          }
        }
      }
  // dim 1, any values: under cosine every positive row is at distance 0 from a
  // positive query and every negative one at 2 (hundreds of ties), while the
  // ranking key q.x/|x| still carries rounding noise.
  for (const metric of METRICS)
    for (const n of [1000, 3000]) {
      const r = rng(seed++);
      const data = Float32Array.from({ length: n }, () => { const v = r(); return v < 0.08 ? 0 : (r() * 2 - 1) * 3; });
      for (let i = 1; i < n; i += 11) data[i] = data[i - 1]; // copies
      const labels = shuffledLabels(n, seed++);
      const flat = new FlatIndex({ dim: 1, metric });
      flat.add(labels, data);
      const queries = Float32Array.from([0, 1, -1, 2.5, -0.3, data[5], data[6]]);
      const nq = queries.length;
      const models = Array.from({ length: nq }, (_, qi) => modelTopK(metric, data, 1, labels, () => true, queries.subarray(qi, qi + 1), n));
      for (const k of [...Array.from({ length: 40 }, (_, i) => i + 1), 100, 500, n]) {
        const batch = flat.searchBatch(queries, k);
        for (let qi = 0; qi < nq; qi++) {
          const want = models[qi].slice(0, k);
          const where = `dim 1 ${metric} n ${n} q ${qi} k ${k}`;
          const b = { labels: rowsOf(batch.labels, batch.k, qi), distances: rowsOf(batch.distances, batch.k, qi) };
          if (!check(`${where} (batch)`, b, want)) continue;
          check(`${where} (search)`, flat.search(queries.subarray(qi, qi + 1), k), want);
        }
      }
    }
  return { mismatches: mismatches.slice(0, 20), searches };
}

/**
 * Thousands of rows tied at the k-th distance: a large index (so one query is
 * split across threads and merged), more ties than a batch window holds (the
 * query is rescanned alone), and zero vectors under cosine.
 */
function manyTies(): Outcome {
  const mismatches: string[] = [];
  let searches = 0;
  const dim = 12, n = 20_000;
  const r = rng(3);
  const data = new Float32Array(n * dim);
  const base = Float32Array.from({ length: dim }, () => Math.floor(r() * 5) - 2);
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) continue; // zero vector (a third of the rows)
    if (i % 3 === 1) { data.set(base, i * dim); continue; } // one vector, copied n/3 times
    for (let d = 0; d < dim; d++) data[i * dim + d] = Math.floor(r() * 5) - 2;
  }
  const labels = shuffledLabels(n, 4);
  const queries = new Float32Array(4 * dim);
  queries.set(base, dim); // query 1: the copied vector (thousands of rows at distance 0)
  for (let d = 0; d < dim; d++) queries[2 * dim + d] = Math.floor(r() * 5) - 2;
  queries.set(base.map((v) => -v), 3 * dim);
  for (const metric of METRICS) {
    const flat = new FlatIndex({ dim, metric });
    flat.add(labels, data);
    for (const k of [1, 5, 100, 7000]) {
      for (const threads of [1, 2]) {
        const batch = flat.searchBatch(queries, k, { threads });
        for (let qi = 0; qi < 4; qi++) {
          searches++;
          const q = queries.subarray(qi * dim, (qi + 1) * dim);
          const want = modelTopK(metric, data, dim, labels, () => true, q, k);
          const gl = rowsOf(batch.labels, batch.k, qi).join(), gd = rowsOf(batch.distances, batch.k, qi).join();
          if (gl !== want.map((h) => h.label).join() || gd !== want.map((h) => h.distance).join())
            mismatches.push(`${metric} k ${k} threads ${threads} q ${qi}: first ranks ${gl.slice(0, 80)} vs model ${want.map((h) => h.label).join().slice(0, 80)}`);
        }
      }
      // A single query on 2 threads is split across the rows.
      const one = flat.searchBatch(queries.subarray(dim, 2 * dim), k, { threads: 2 });
      const want = modelTopK(metric, data, dim, labels, () => true, queries.subarray(dim, 2 * dim), k);
      searches++;
      if (Array.from(one.labels).join() !== want.map((h) => h.label).join())
        mismatches.push(`${metric} k ${k} single query split over threads`);
    }
  }
  return { mismatches, searches };
}

describe('FlatIndex batch search equals search() and the exact model', () => {
  it('at the active SIMD level: random shapes (dims 1..70, 128, 384, 768; rows around tiles; k 1..rows+2; filters)', () => {
    if (CHILD) expect(simdLevel()).toBe(process.env.QUIVER_SIMD);
    const res = randomShapes();
    expect(res.mismatches).toEqual([]);
    expect(res.searches).toBeGreaterThan(10_000);
  }, 300_000);

  it('at the active SIMD level: tie-heavy data, every k, ties by label', () => {
    if (CHILD) expect(simdLevel()).toBe(process.env.QUIVER_SIMD);
    const res = tieHeavy();
    expect(res.mismatches).toEqual([]);
    expect(res.searches).toBeGreaterThan(10_000);
  }, 300_000);

  it('at the active SIMD level: thousands of rows tied at the k-th distance (split scans, window overflow)', () => {
    if (CHILD) expect(simdLevel()).toBe(process.env.QUIVER_SIMD);
    const res = manyTies();
    expect(res.mismatches).toEqual([]);
  }, 300_000);

  // Asynchronous: a child blocking this worker for minutes on a loaded machine made
  // vitest's worker RPC time out ("Timeout calling onTaskUpdate").
  it.skipIf(CHILD).each(availableSimdLevels())('at level %s (child process with QUIVER_SIMD)', async (level) => {
    const { stdout } = await execFileAsync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/flat-batch.test.ts', '-t', 'at the active SIMD level'], {
      env: { ...process.env, QUIVER_SIMD: level, QUIVER_FLAT_BATCH_CHILD: '1' },
      encoding: 'utf8',
      timeout: 600_000,
    });
    expect(stdout).toMatch(/3 passed/);
  }, 620_000);
});
