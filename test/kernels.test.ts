// Every SIMD level this CPU runs, against a float64 reference.
import { describe, expect, it } from 'vitest';
import { availableSimdLevels, simdLevel } from '../src/index.js';
import { native } from '../src/native/load.js';
import { dot64, l2sq64, randomVectors, rng } from './helpers/reference.js';

const DIMS = [1, 3, 15, 16, 17, 127, 128, 768, 1536];
const levels = availableSimdLevels();

describe('SIMD dispatch', () => {
  it('runs the best level unless QUIVER_SIMD lowers it', () => {
    expect(levels[0]).toBe('scalar');
    const forced = process.env.QUIVER_SIMD;
    expect(simdLevel()).toBe(forced && levels.includes(forced as never) ? forced : levels[levels.length - 1]);
  });
});

describe.each(levels)('kernels at level %s', (level) => {
  const addon = native();
  it.each(DIMS)('dot and l2sq match float64 at dim %i', (dim) => {
    for (let trial = 0; trial < 20; trial++) {
      const a = randomVectors(1, dim, dim * 1000 + trial, 10);
      const b = randomVectors(1, dim, dim * 7777 + trial, 10);
      const na = Math.sqrt(dot64(a, a)), nb = Math.sqrt(dot64(b, b));
      // Errors are bounded relative to |a||b| (dot) and |a|^2+|b|^2 (L2): the
      // natural scale of the rounding, which cancellation can make far larger than the result.
      expect(Math.abs(native().kernelDistance(level, 'dot', a, b) - dot64(a, b))).toBeLessThanOrEqual(1e-5 * na * nb);
      expect(Math.abs(addon.kernelDistance(level, 'l2sq', a, b) - l2sq64(a, b))).toBeLessThanOrEqual(
        1e-5 * (na * na + nb * nb),
      );
    }
  });

  it.each(DIMS)('cosine distance matches float64 at dim %i', (dim) => {
    for (let trial = 0; trial < 20; trial++) {
      const a = randomVectors(1, dim, dim * 3131 + trial, 10);
      const b = randomVectors(1, dim, dim * 5151 + trial, 10);
      const na = Math.sqrt(dot64(a, a)), nb = Math.sqrt(dot64(b, b));
      const want = 1 - dot64(a, b) / (na * nb);
      // 1e-5 relative to |a||b| on the dot product is 1e-5 on the similarity, plus the norms' rounding.
      expect(Math.abs(addon.kernelDistance(level, 'cosine', a, b) - want)).toBeLessThanOrEqual(3e-5);
    }
    const zero = new Float32Array(dim);
    expect(addon.kernelDistance(level, 'cosine', zero, randomVectors(1, dim, 5, 1))).toBe(1); // never NaN
    const a = randomVectors(1, dim, 77, 1);
    expect(addon.kernelDistance(level, 'cosine', a, a.map((v) => 2 * v))).toBeLessThan(1e-5);
  });

  it.each(DIMS)('blocked tile kernel matches float64 dot products at dim %i', (dim) => {
    for (const nq of [1, 3, 8]) {
      const qs = randomVectors(nq, dim, 42 + dim + nq, 3);
      const xs = randomVectors(16, dim, 4242 + dim, 3);
      const got = addon.kernelBlockDots(level, qs, nq, xs, dim);
      for (let i = 0; i < nq; i++) {
        const q = qs.subarray(i * dim, (i + 1) * dim);
        for (let l = 0; l < 16; l++) {
          const x = xs.subarray(l * dim, (l + 1) * dim);
          const bound = 1e-5 * Math.sqrt(dot64(q, q) * dot64(x, x));
          expect(Math.abs(got[i * 16 + l] - dot64(q, x))).toBeLessThanOrEqual(bound);
        }
      }
    }
  });

  it('handles identical and opposite vectors exactly enough', () => {
    const a = randomVectors(1, 768, 9, 1);
    expect(addon.kernelDistance(level, 'l2sq', a, a)).toBe(0);
    const neg = a.map((v) => -v);
    expect(addon.kernelDistance(level, 'dot', a, neg)).toBeCloseTo(-dot64(a, a), 3);
  });
});

describe.each(levels)('int8 code kernels at level %s', (level) => {
  const addon = native();
  const CODE_DIMS = [1, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 784, 1000];
  it.each(CODE_DIMS)('l2sq_i8 and neg_dot_i8 are exact at dim %i, extreme codes included', (dim) => {
    const next = rng(dim * 31 + 7);
    const rows = 9;
    const q = Int8Array.from({ length: dim }, () => Math.round(next() * 254) - 127);
    const xs = Int8Array.from({ length: rows * dim }, () => Math.round(next() * 254) - 127);
    // Row 0 holds the extremes opposite to q (largest squared differences).
    for (let d = 0; d < dim; d++) xs[d] = q[d] >= 0 ? -127 : 127;
    const ids = Uint32Array.from([3, 0, 8, 1, 1, 5, 2, 7, 4, 6]);
    const l2 = addon.kernelCodes(level, 'l2sq_i8', q, xs, ids);
    const nd = addon.kernelCodes(level, 'neg_dot_i8', q, xs, ids);
    ids.forEach((id, t) => {
      let s = 0, p = 0;
      for (let d = 0; d < dim; d++) {
        const x = xs[id * dim + d];
        s += (q[d] - x) * (q[d] - x);
        p += q[d] * x;
      }
      expect(l2[t]).toBe(Math.fround(s));
      expect(nd[t] + 0).toBe(Math.fround(-p) + 0); // -0 and 0 alike
    });
  });
});
