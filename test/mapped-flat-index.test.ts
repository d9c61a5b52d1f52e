// MappedFlatIndex (a read-only store's exact index: mapped snapshot rows plus
// a private tail) against a plain FlatIndex holding the same slots: random
// upserts, replacements and deletes of mapped and tail slots, then searches
// with random filters and k, for every metric.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlatIndex } from '../src/indexes/flat-index.js';
import { METRICS } from '../src/indexes/input.js';
import { MappedVectors } from '../src/indexes/mapped-vectors.js';
import { BitSet } from '../src/store/filter/bitset.js';
import { MappedFlatIndex } from '../src/store/mapped-flat-index.js';
import { rng } from './helpers/reference.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-mapped-flat-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('MappedFlatIndex', () => {
  for (const metric of METRICS) {
    it(`equals a FlatIndex of the same slots through random changes (${metric})`, async () => {
      for (let trial = 0; trial < 6; trial++) {
        const r = rng(trial * 31 + metric.length);
        const dim = [1, 3, 8, 17][trial % 4];
        const rows = [0, 1, 40, 300][trial % 4];
        const vec = () => Float32Array.from({ length: dim }, () => (r() < 0.05 ? 0 : r() * 2 - 1));
        // Rows hold ascending slots with gaps, as a snapshot of a store with free slots does.
        const slotOfRow = Float64Array.from({ length: rows }, (_, i) => i * 2 + (trial % 2));
        const data = new Float32Array(rows * dim);
        for (let i = 0; i < rows; i++) data.set(vec(), i * dim);
        const path = join(root, `v${metric}${trial}.bin`);
        writeFileSync(path, Buffer.concat([Buffer.alloc(4096), Buffer.from(data.buffer)]));
        const mapped = new MappedFlatIndex(MappedVectors.open(path, { byteOffset: 4096, rows, dim, metric }), slotOfRow, dim, metric);
        const plain = new FlatIndex({ dim, metric });
        if (rows) plain.add(slotOfRow, data);
        const slots = () => Float64Array.from(new Set(Array.from({ length: 1 + Math.floor(r() * 12) }, () => Math.floor(r() * (rows * 2 + 20)))));
        for (let step = 0; step < 60; step++) {
          const roll = r();
          if (roll < 0.4) {
            const s = slots();
            const v = new Float32Array(s.length * dim);
            for (let i = 0; i < s.length; i++) v.set(vec(), i * dim);
            mapped.add(s, v);
            plain.add(s, v);
          } else if (roll < 0.6) {
            const s = slots();
            expect(mapped.remove(s)).toBe(plain.remove(s));
          }
          expect(mapped.size).toBe(plain.size);
          expect(Array.from(mapped.labels()).sort((a, b) => a - b)).toEqual(Array.from(plain.labels()).sort((a, b) => a - b));
          if (plain.size === 0) continue;
          const q = vec();
          const k = 1 + Math.floor(r() * (plain.size + 3));
          const filter = r() < 0.5 ? slots() : undefined;
          const want = plain.search(q, k, filter ? { filter } : {});
          const bits = filter ? new BitSet() : undefined;
          filter?.forEach((slot) => bits!.add(slot));
          const got = step % 2 ? await mapped.searchAsync(q, k, bits) : mapped.search(q, k, bits);
          expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
          got.distances.forEach((d, i) => expect(d).toBeCloseTo(want.distances[i], 4));
          const some = plain.labels()[Math.floor(r() * plain.size)];
          expect(Array.from(mapped.get(some)!)).toEqual(Array.from(plain.get(some)!));
          expect(mapped.get(rows * 2 + 1000)).toBeUndefined();
        }
        mapped.release();
      }
    });
  }
});
