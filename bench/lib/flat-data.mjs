// The exact-search benches' data: n x dim uniforms in [-0.5, 0.5) from a 32-bit LCG
// seeded per call. Kept as it is (not bench/lib/rng.mjs) so that flat-bench's figures
// stay comparable across reports; the scan's speed does not depend on the values.
export function flatBenchData(n, dim, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}
