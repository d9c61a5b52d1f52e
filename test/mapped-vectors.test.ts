// MappedVectors (a read-only memory-mapped view of float32 rows) against
// FlatIndex holding the same vectors under labels = row numbers: same labels,
// same distances, same tie order, for every metric, many shapes, allow masks and
// k; at every SIMD level the CPU has (child processes with QUIVER_SIMD). Then
// the error paths (each a clear Error, the process survives), and close() while
// an async search is in flight.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex, MappedVectors, VectorStore, availableSimdLevels, simdLevel, type Metric } from '../src/index.js';
import { native } from '../src/native/load.js';
import { rng } from './helpers/reference.js';
import { runNode } from './helpers/run-child.js';

const METRICS: Metric[] = ['cosine', 'euclidean', 'ip'];
const HEADER = 4096;
// Set in the child processes that rerun the differential at a forced SIMD level.
const CHILD = process.env.QUIVER_MAPPED_CHILD === '1';

const root = mkdtempSync(join(tmpdir(), 'quiver-mapped-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

/** Writes `data` (rows x dim floats) after `offset` bytes of header; returns the path. */
function writeRows(data: Float32Array, offset = HEADER, trailer = 0): string {
  const path = join(root, `v${files++}.qvec`);
  const buf = Buffer.alloc(offset + data.byteLength + trailer, 0xab);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(buf, offset);
  writeFileSync(path, buf);
  return path;
}

/**
 * Rows with exact ties: some zero vectors, some copies of earlier rows, and
 * (when `coarse`) values in {-1, 0, 1} so that distinct rows tie too.
 */
function makeRows(rows: number, dim: number, seed: number, coarse: boolean): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) {
    const kind = r();
    if (kind < 0.08) continue; // zero vector
    if (kind < 0.16 && i > 0) {
      const from = Math.floor(r() * i);
      out.copyWithin(i * dim, from * dim, (from + 1) * dim);
      continue;
    }
    for (let d = 0; d < dim; d++) out[i * dim + d] = coarse ? Math.round(r() * 2 - 1) : (r() * 2 - 1) * 3;
  }
  return out;
}

/** A bitset over rows and the same set as labels; density 0 = none, 1 = all. */
function makeMask(rows: number, density: number, seed: number): { allow: Uint32Array; labels: Float64Array } {
  const r = rng(seed);
  // One spare word with every bit set: bits past the last row must be ignored.
  const allow = new Uint32Array(Math.ceil(rows / 32) + 1);
  allow[allow.length - 1] = 0xffffffff;
  const labels: number[] = [];
  for (let i = 0; i < rows; i++)
    if (density >= 1 || r() < density) {
      allow[i >>> 5] |= 1 << (i & 31);
      labels.push(i);
    }
  if (rows % 32 !== 0) allow[Math.floor(rows / 32)] |= ~((1 << (rows % 32)) - 1) >>> 0; // stray high bits
  return { allow, labels: Float64Array.from(labels) };
}

function closeEnough(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-5 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Runs the differential over every metric, shape, mask and k. For each query
 * and mask, FlatIndex with k above the row count scores every allowed row
 * exactly: its list is the full (distance, row) order, and MappedVectors' top k
 * must be exactly its first k. FlatIndex's own top k must agree too, ties at
 * the k-th distance included (lowest rows first, however many rows tie).
 */
function differential(): { mismatches: string[]; searches: number; bitExact: boolean } {
  const mismatches: string[] = [];
  let searches = 0;
  let bitExact = true;
  let seed = 1;
  const same = (a: number, b: number) => {
    if (a !== b) bitExact = false;
    return closeEnough(a, b);
  };
  for (const metric of METRICS)
    for (const dim of [1, 3, 16, 17, 128, 384])
      for (const rows of [0, 1, 15, 16, 17, 1000])
        for (const coarse of dim <= 17 ? [false, true] : [false]) {
          const data = makeRows(rows, dim, seed++, coarse);
          const mv = MappedVectors.open(writeRows(data, HEADER, 77), { byteOffset: HEADER, rows, dim, metric });
          const flat = new FlatIndex({ dim, metric });
          if (rows > 0) flat.add(Float64Array.from({ length: rows }, (_, i) => i), data);
          const r = rng(seed++);
          const queries = [
            Float32Array.from({ length: dim }, () => (r() * 2 - 1) * 3),
            new Float32Array(dim), // zero query (cosine: distance 1 to everything)
            // A stored row (distance 0 to itself and to its copies).
            ...(rows > 0 ? [((i) => data.slice(i * dim, (i + 1) * dim))(Math.floor(r() * rows))] : []),
          ];
          if (coarse) queries.push(Float32Array.from({ length: dim }, () => Math.round(r() * 2 - 1)));
          const masks = [undefined, makeMask(rows, 0, 0), makeMask(rows, 1, 0), makeMask(rows, 0.5, seed++),
            makeMask(rows, 0.05, seed++)];
          const ks = [...new Set([1, 2, 5, 17, rows, rows + 3])].filter((k) => k >= 1);
          for (const [qi, q] of queries.entries())
            for (const [mi, mask] of masks.entries()) {
              const filter = mask ? { filter: mask.labels } : {};
              const full = flat.search(q, rows + 3, filter);
              for (const k of ks) {
                const got = mv.search(q, k, mask ? { allow: mask.allow } : {});
                const want = flat.search(q, k, filter);
                searches++;
                const where = `${metric} dim ${dim} rows ${rows}${coarse ? ' coarse' : ''} query ${qi} mask ${mi} k ${k}`;
                const n = Math.min(k, full.labels.length);
                if (got.labels.length !== n || got.distances.length !== n || want.labels.length !== n) {
                  mismatches.push(`${where}: ${got.labels.length} results, FlatIndex ${want.labels.length}, allowed ${full.labels.length}`);
                  continue;
                }
                for (let j = 0; j < n; j++) {
                  if (got.labels[j] !== full.labels[j] || !same(got.distances[j], full.distances[j])) {
                    mismatches.push(`${where} rank ${j}: row ${got.labels[j]} at ${got.distances[j]}, ` +
                      `FlatIndex (all rows scored) ${full.labels[j]} at ${full.distances[j]}`);
                    break;
                  }
                  if (want.labels[j] !== got.labels[j] || !same(got.distances[j], want.distances[j])) {
                    mismatches.push(`${where} rank ${j}: row ${got.labels[j]} at ${got.distances[j]}, ` +
                      `FlatIndex ${want.labels[j]} at ${want.distances[j]}`);
                    break;
                  }
                }
              }
            }
          mv.close();
        }
  return { mismatches: mismatches.slice(0, 20), searches, bitExact };
}

describe('MappedVectors equals FlatIndex (labels = rows)', () => {
  it('at the active SIMD level: every metric, dims 1..384, 0..1000 rows, allow masks, k 1..rows+3', () => {
    if (CHILD) expect(simdLevel()).toBe(process.env.QUIVER_SIMD);
    const res = differential();
    expect(res.mismatches).toEqual([]);
    expect(res.searches).toBeGreaterThan(5000);
    // Same kernels, same formula: not just close, identical.
    expect(res.bitExact).toBe(true);
  });

  it.skipIf(CHILD).each(availableSimdLevels())('at level %s (child process with QUIVER_SIMD)', async (level) => {
    const child = await runNode(['node_modules/vitest/vitest.mjs', 'run', 'test/mapped-vectors.test.ts', '-t', 'at the active SIMD level'], {
      env: { ...process.env, QUIVER_SIMD: level, QUIVER_MAPPED_CHILD: '1' },
      timeout: 170_000,
    });
    const out = child.stdout;
    if (child.status !== 0) throw new Error(`child at ${level} failed (${child.status ?? child.signal}):\n${out}\n${child.stderr}`);
    expect(out).toMatch(/1 passed/);
  }, 180_000);

  it.skipIf(CHILD)('a mapping large enough to be scanned in parallel parts merges them exactly (sync and async)', async () => {
    const rows = 12_345, dim = 200; // 2.5 M floats: above the 1 M floats per part threshold
    const data = makeRows(rows, dim, 99, false);
    for (const metric of METRICS) {
      const mv = MappedVectors.open(writeRows(data), { byteOffset: HEADER, rows, dim, metric });
      const flat = new FlatIndex({ dim, metric });
      flat.add(Float64Array.from({ length: rows }, (_, i) => i), data);
      const r = rng(7);
      for (let t = 0; t < 4; t++) {
        const q = t === 0 ? data.slice(5000 * dim, 5001 * dim) : Float32Array.from({ length: dim }, () => r() * 2 - 1);
        const mask = makeMask(rows, t === 3 ? 0.01 : 0.7, t);
        for (const k of [1, 10, 100]) {
          const want = flat.search(q, k, t >= 2 ? { filter: mask.labels } : {});
          const opts = t >= 2 ? { allow: mask.allow } : {};
          for (const got of [mv.search(q, k, opts), await mv.searchAsync(q, k, opts)]) {
            expect([...got.labels]).toEqual([...want.labels]);
            expect([...got.distances]).toEqual([...want.distances]);
          }
        }
      }
      mv.close();
    }
  });
});

describe.skipIf(CHILD)('MappedVectors reads', () => {
  it('get and getMany copy rows; offsets that are not page multiples map correctly', () => {
    const rows = 40, dim = 5;
    const data = makeRows(rows, dim, 3, false);
    for (const offset of [0, 4, 100, HEADER, 8192 + 12]) {
      const mv = MappedVectors.open(writeRows(data, offset), { byteOffset: offset, rows, dim, metric: 'euclidean' });
      expect(mv.rows).toBe(rows);
      expect(mv.dim).toBe(dim);
      expect(mv.metric).toBe('euclidean');
      for (const row of [0, 1, 17, rows - 1]) expect([...mv.get(row)]).toEqual([...data.subarray(row * dim, (row + 1) * dim)]);
      const a = mv.get(2);
      a[0] = 12345; // a copy: the mapping is read-only and unchanged
      expect(mv.get(2)[0]).toBe(data[2 * dim]);
      const want = [39, 0, 7, 7];
      const out = new Float32Array(want.length * dim);
      expect(mv.getMany(Float64Array.from(want), out)).toBe(out);
      want.forEach((row, i) => expect([...out.subarray(i * dim, (i + 1) * dim)]).toEqual([...data.subarray(row * dim, (row + 1) * dim)]));
      expect(mv.getMany(new Float64Array(0), new Float32Array(0)).length).toBe(0);
      expect([...mv.getMany([3])]).toEqual([...data.subarray(3 * dim, 4 * dim)]); // a number[] and a new `out`
      mv.close();
    }
  });

  it('rows = 0 maps nothing and finds nothing', async () => {
    const mv = MappedVectors.open(writeRows(new Float32Array(0)), { byteOffset: HEADER, rows: 0, dim: 8, metric: 'cosine' });
    expect(mv.search(new Float32Array(8), 3).labels.length).toBe(0);
    expect((await mv.searchAsync(new Float32Array(8), 3, { allow: new Uint32Array(0) })).labels.length).toBe(0);
    expect(() => mv.get(0)).toThrow(RangeError);
    mv.close();
  });

  it('reads the vectors of a real snapshot (vectors.qvec from byte 4096, row i = record i)', async () => {
    const dir = join(root, 'store');
    const dim = 6;
    const store = await VectorStore.open(dir, { dim, metric: 'euclidean' });
    const vecs = makeRows(50, dim, 11, false);
    await store.upsert(Array.from({ length: 50 }, (_, i) => ({ id: `r${i}`, vector: vecs.subarray(i * dim, (i + 1) * dim) })));
    await store.snapshot();
    await store.close();
    const snap = readdirSync(dir).find((name) => /^snapshot-\d+$/.test(name));
    expect(snap).toBeDefined();
    const path = join(dir, snap!, 'vectors.qvec');
    const head = readFileSync(path).subarray(0, 64);
    expect(head.subarray(0, 8).toString('latin1')).toBe('QVRVECS\0');
    const offset = head.readUInt32LE(12);
    const fileDim = head.readUInt32LE(16);
    const count = Number(head.readBigUInt64LE(24));
    expect([offset, fileDim, count]).toEqual([HEADER, dim, 50]);
    const mv = MappedVectors.open(path, { byteOffset: offset, rows: count, dim, metric: 'euclidean' });
    // Every stored vector is a row, and each finds itself at distance 0.
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) seen.add([...mv.get(i)].join(','));
    for (let i = 0; i < 50; i++) {
      const v = vecs.subarray(i * dim, (i + 1) * dim);
      expect(seen.has([...v].join(','))).toBe(true);
      expect(mv.search(v, 1).distances[0]).toBe(0);
    }
    mv.close();
  });
});

describe.skipIf(CHILD)('MappedVectors errors: clear Errors, the process survives', () => {
  const dim = 4, rows = 10;
  const data = makeRows(rows, dim, 5, false);
  const opts = (o: Partial<Record<string, unknown>> = {}) => ({ byteOffset: HEADER, rows, dim, metric: 'ip' as Metric, ...o });

  it('missing file, directory, file too short at every boundary class', () => {
    expect(() => MappedVectors.open(join(root, 'no-such-file'), opts())).toThrow(/cannot open .*no-such-file.*No such file/);
    const dir = join(root, 'a-dir');
    mkdirSync(dir);
    expect(() => MappedVectors.open(dir, opts())).toThrow(/not a regular file/);
    const exact = HEADER + rows * dim * 4;
    const path = writeRows(data);
    expect(MappedVectors.open(path, opts()).rows).toBe(rows); // exactly long enough
    const cases: [number, RegExp][] = [
      [exact - 1, /holds 4255 bytes, fewer than the 4256 needed for 10 rows x 4 floats from byte 4096 \(1 bytes short\)/],
      [exact - dim * 4, /holds 4240 bytes.*\(16 bytes short\)/],
      [exact - dim * 4 - 1, /17 bytes short/],
      [HEADER, /holds 4096 bytes/],
      [HEADER - 1, /holds 4095 bytes/],
      [0, /holds 0 bytes/],
    ];
    for (const [size, message] of cases) {
      truncateSync(path, size);
      expect(() => MappedVectors.open(path, opts()), `size ${size}`).toThrow(message);
    }
    // rows = 0 still needs the header's bytes.
    expect(() => MappedVectors.open(path, opts({ rows: 0 }))).toThrow(/holds 0 bytes, fewer than the 4096/);
  });

  it('bad arguments to open', () => {
    const path = writeRows(data);
    const bad: [Record<string, unknown>, RegExp, ErrorConstructor][] = [
      [{ byteOffset: 4097 }, /byteOffset: expected a multiple of 4/, RangeError],
      [{ byteOffset: 4098 }, /multiple of 4/, RangeError],
      [{ byteOffset: -4 }, /byteOffset: expected an integer from 0/, RangeError],
      [{ byteOffset: '4096' }, /byteOffset: expected a non-negative integer/, TypeError],
      [{ dim: 0 }, /dim: expected an integer from 1 to 65536/, RangeError],
      [{ dim: 2.5 }, /dim/, RangeError],
      [{ dim: 65537 }, /dim/, RangeError],
      [{ dim: '4' }, /dim: expected a positive integer/, TypeError],
      [{ rows: -1 }, /rows: expected an integer from 0/, RangeError],
      [{ rows: 1.5 }, /rows/, RangeError],
      [{ rows: 2 ** 32 }, /rows/, RangeError],
      [{ metric: 'cos' }, /metric: expected 'cosine', 'euclidean' or 'ip'/, RangeError],
      [{ metric: undefined }, /metric/, TypeError],
      [{ dimension: 4 }, /unknown option 'dimension' \(did you mean 'dim'\?\)/, TypeError],
    ];
    for (const [o, message, type] of bad) {
      let caught: unknown;
      try {
        MappedVectors.open(path, opts(o));
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(o)).toBeInstanceOf(type);
      expect((caught as Error).message).toMatch(message);
    }
    expect(() => MappedVectors.open('', opts())).toThrow(TypeError);
    expect(() => MappedVectors.open(path, null as never)).toThrow(TypeError);
    // A large dim with the right file size passes; the same file as fewer, wider rows too.
    expect(MappedVectors.open(path, opts({ rows: 1, dim: 40 })).dim).toBe(40);
  });

  it('the native class checks for itself (unaligned offset, bad dim, NUL in path)', () => {
    const Native = (native() as unknown as { NativeMappedVectors: new (...a: unknown[]) => unknown }).NativeMappedVectors;
    const path = writeRows(data);
    expect(() => new Native(path, 4098, rows, dim, 'ip')).toThrow(/byte offset 4098 .* is not a multiple of 4/);
    expect(() => new Native(path, HEADER, rows, 0, 'ip')).toThrow(/dim/);
    expect(() => new Native(path, HEADER, rows, dim, 'l1')).toThrow(/metric/);
    expect(() => new Native(`${path}\0x`, HEADER, rows, dim, 'ip')).toThrow(/NUL/);
    expect(() => new Native(path, HEADER, 2 ** 32, 2 ** 16, 'ip')).toThrow(/rows/);
    expect(() => new Native(path, HEADER, rows + 1, dim, 'ip')).toThrow(/16 bytes short/);
  });

  it('bad search arguments: query length, NaN, Infinity, huge values, k, allow, options', async () => {
    const mv = MappedVectors.open(writeRows(data), opts());
    const q = [1, 2, 3, 4];
    const bad: [() => unknown, RegExp, ErrorConstructor][] = [
      [() => mv.search([1, 2, 3], 1), /query: expected dimension 4, got 3/, RangeError],
      [() => mv.search(new Float32Array(5), 1), /query: expected dimension 4, got 5/, RangeError],
      [() => mv.search([1, NaN, 3, 4], 1), /query\[1\]: expected a finite number, got NaN/, RangeError],
      [() => mv.search([1, 2, Infinity, 4], 1), /query\[2\]: expected a finite number, got Infinity/, RangeError],
      [() => mv.search([1, 2, 3, 1e20], 1), /outside the accepted range/, RangeError],
      [() => mv.search('abcd' as never, 1), /query: expected a Float32Array or an array of numbers/, TypeError],
      [() => mv.search(q, 0), /k: expected a positive integer, got 0/, RangeError],
      [() => mv.search(q, 1.5), /k: expected a positive integer/, RangeError],
      [() => mv.search(q, '1' as never), /k: expected a positive integer/, TypeError],
      [() => mv.search(q, 1, { allow: new Uint32Array(0) }), /allow: expected at least 1 words \(one bit per row, 10 rows\), got 0/, RangeError],
      [() => mv.search(q, 1, { allow: new Int32Array(1) as never }), /allow: expected a Uint32Array/, TypeError],
      [() => mv.search(q, 1, { allow: [1] as never }), /allow: expected a Uint32Array/, TypeError],
      [() => mv.search(q, 1, { filter: [1] } as never), /unknown option 'filter'/, TypeError],
      [() => mv.get(-1), /row: expected an integer row from 0 to 10 \(exclusive\), got -1/, RangeError],
      [() => mv.get(10), /got 10/, RangeError],
      [() => mv.get(1.5), /got 1.5/, RangeError],
      [() => mv.get(NaN), /row/, RangeError],
      [() => mv.get('1' as never), /row: expected a row number/, TypeError],
      [() => mv.getMany(Float64Array.of(1, 10), new Float32Array(8)), /rows\[1\]: expected an integer row from 0 to 10/, RangeError],
      [() => mv.getMany(Float64Array.of(1), new Float32Array(3)), /out: expected 1 x 4 = 4 floats, got 3/, RangeError],
      [() => mv.getMany([0, -1]), /rows\[1\]: expected an integer row from 0 to 10 \(exclusive\), got -1/, RangeError],
      [() => mv.getMany(new Uint32Array(1) as never), /rows: expected a Float64Array or an array of row numbers/, TypeError],
    ];
    for (const [call, message, type] of bad) {
      let caught: unknown;
      try {
        call();
      } catch (err) {
        caught = err;
      }
      expect(caught, String(message)).toBeInstanceOf(type);
      expect((caught as Error).message).toMatch(message);
    }
    // getMany leaves `out` untouched when a row is out of range.
    const out = new Float32Array(8).fill(7);
    expect(() => mv.getMany(Float64Array.of(1, 99), out)).toThrow(RangeError);
    expect([...out]).toEqual(new Array(8).fill(7));
    // searchAsync reports the same errors as a rejected promise.
    await expect(mv.searchAsync([1, NaN, 3, 4], 1)).rejects.toThrow(/query\[1\]: expected a finite number/);
    await expect(mv.searchAsync(q, 0)).rejects.toThrow(RangeError);
    await expect(mv.searchAsync(q, 1, { allow: new Uint32Array(0) })).rejects.toThrow(/allow/);
    // The native binding checks the query itself too.
    const Native = (native() as unknown as { NativeMappedVectors: new (...a: unknown[]) => { search: (...a: unknown[]) => unknown } })
      .NativeMappedVectors;
    const raw = new Native(writeRows(data), HEADER, rows, dim, 'ip');
    expect(() => raw.search(Float32Array.of(1, NaN, 3, 4), 1, 1)).toThrow(/non-finite value/);
    expect(() => raw.search(new Float32Array(3), 1, 1)).toThrow(/queries: expected 1 x 4 = 4 floats, got 3/);
    expect(() => raw.search(new Float32Array(4), 1, 1, undefined, new Uint32Array(0))).toThrow(/allow: expected at least 1 words/);
    expect(mv.search(q, 3).labels.length).toBe(3); // still usable
    mv.close();
  });

  it('a closed object throws on every use; close() is idempotent', async () => {
    const mv = MappedVectors.open(writeRows(data), opts());
    expect(mv.closed).toBe(false);
    mv.close();
    mv.close();
    expect(mv.closed).toBe(true);
    expect(() => mv.get(0)).toThrow(/MappedVectors is closed/);
    expect(() => mv.getMany(Float64Array.of(0), new Float32Array(dim))).toThrow(/MappedVectors is closed/);
    expect(() => mv.search([1, 2, 3, 4], 1)).toThrow(/MappedVectors is closed/);
    await expect(mv.searchAsync([1, 2, 3, 4], 1)).rejects.toThrow(/MappedVectors is closed/);
    // The native object too.
    const Native = (native() as unknown as { NativeMappedVectors: new (...a: unknown[]) => Record<string, (...a: unknown[]) => unknown> })
      .NativeMappedVectors;
    const raw = new Native(writeRows(data), HEADER, rows, dim, 'ip');
    raw.close();
    raw.close();
    expect(() => raw.get(0)).toThrow(/MappedVectors is closed/);
    expect(() => raw.search(new Float32Array(dim), 1, 1)).toThrow(/MappedVectors is closed/);
    expect(() => raw.searchAsync(new Float32Array(dim), 1, 1)).toThrow(/MappedVectors is closed/);
  });

  it('non-finite or huge values in the file are never near anything', () => {
    const bad = new Float32Array(5 * 2);
    bad.set([1, 0, NaN, 0, Infinity, 1, -Infinity, 0, 3e38, 3e38]);
    const path = writeRows(bad);
    for (const metric of METRICS) {
      const mv = MappedVectors.open(path, { byteOffset: HEADER, rows: 5, dim: 2, metric });
      const r = mv.search([1, 0], 5);
      expect(r.labels[0]).toBe(0);
      expect([...r.distances.subarray(1)]).toEqual([Infinity, Infinity, Infinity, Infinity]);
      expect([...r.labels]).toEqual([0, 1, 2, 3, 4]); // ties by row
      mv.close();
    }
  });
});

describe.skipIf(CHILD)('MappedVectors lifetime', () => {
  it('searchAsync then close() at once: the search completes on the still-mapped rows', async () => {
    const rows = 20_000, dim = 128;
    const data = makeRows(rows, dim, 21, false);
    const path = writeRows(data);
    for (const metric of METRICS) {
      const mv = MappedVectors.open(path, { byteOffset: HEADER, rows, dim, metric });
      const q = data.slice(123 * dim, 124 * dim);
      const want = mv.search(q, 10);
      const mask = makeMask(rows, 0.3, 1);
      const wantMasked = mv.search(q, 10, { allow: mask.allow });
      const allow = mask.allow.slice();
      // A fresh mapping whose first search (which also computes the row norms) is async.
      const fresh = MappedVectors.open(path, { byteOffset: HEADER, rows, dim, metric });
      const pending = [mv.searchAsync(q, 10), mv.searchAsync(q, 10, { allow }), fresh.searchAsync(q, 10)];
      fresh.close();
      // The query and the bitset were copied: changing them now changes nothing.
      q.fill(0);
      allow.fill(0);
      mv.close();
      const [got, gotMasked, gotFresh] = await Promise.all(pending);
      expect([...got.labels]).toEqual([...want.labels]);
      expect([...gotFresh.labels]).toEqual([...want.labels]);
      expect([...gotFresh.distances]).toEqual([...want.distances]);
      expect([...got.distances]).toEqual([...want.distances]);
      expect([...gotMasked.labels]).toEqual([...wantMasked.labels]);
      if (metric !== 'ip') expect(got.labels[0]).toBe(123);
    }
    // The file can go away while mapped or after: nothing reads it again.
    rmSync(path);
  });

  it('many async searches in flight with the object dropped and closed', async () => {
    const rows = 3000, dim = 64;
    const data = makeRows(rows, dim, 8, false);
    const mv = MappedVectors.open(writeRows(data), { byteOffset: HEADER, rows, dim, metric: 'cosine' });
    const r = rng(3);
    const qs = Array.from({ length: 50 }, () => Float32Array.from({ length: dim }, () => r() * 2 - 1));
    const want = qs.map((q) => mv.search(q, 5));
    const pending = qs.map((q) => mv.searchAsync(q, 5));
    mv.close();
    const got = await Promise.all(pending);
    got.forEach((g, i) => expect([...g.labels]).toEqual([...want[i].labels]));
  });
});
