// Smoke test of one built addon, through the package's own JS (dist/index.cjs):
//   node scripts/prebuild/smoke.cjs <quiverdb.node>
// Loads exactly that file (QUIVER_NATIVE_PATH), builds a small HNSW and a flat
// index, checks that stored vectors find themselves, runs the worker pool
// (addAsync/searchAsync), saves and reloads, and makes the native code throw a C++
// exception (loading a damaged file) to exercise the unwinder. Prints the SIMD
// levels, Node's arch and version. Small enough to run under qemu-user in seconds.
// CommonJS and dependency-free so it runs on any Node (also a foreign-arch one).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const file = process.argv[2] && path.resolve(process.argv[2]);
if (!file || !fs.existsSync(file)) {
  console.error(`smoke: usage: node smoke.cjs <quiverdb.node> (got ${process.argv[2] ?? 'nothing'})`);
  process.exit(2);
}
process.env.QUIVER_NATIVE_PATH = file;
const root = path.join(__dirname, '..', '..');
const q = require(path.join(root, 'dist', 'index.cjs'));

function fail(msg) {
  console.error(`smoke FAILED (${process.arch}): ${msg}`);
  process.exit(1);
}

function vectors(n, dim, seed) {
  // xorshift32: the same data on every platform.
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

async function main() {
  const t0 = process.hrtime.bigint();
  const levels = q.availableSimdLevels();
  const active = q.simdLevel();
  // The addon is loaded lazily by the first call above: make sure it is this file.
  if (!require.cache[file]) fail(`the addon loaded is not ${file} (loaded: ${Object.keys(require.cache).filter((k) => k.endsWith('.node')).join(', ') || 'none'})`);

  const dim = 32;
  const n = 1500;
  const data = vectors(n, dim, 12345);
  const labels = Float64Array.from({ length: n }, (_, i) => i * 3 + 1);
  const probe = [0, 1, 7, 99, 500, 1234, n - 1];

  for (const metric of ['euclidean', 'cosine']) {
    const hnsw = new q.HnswIndex({ dim, metric });
    hnsw.add(labels, data);
    const flat = new q.FlatIndex({ dim, metric });
    flat.add(labels, data);
    if (hnsw.size !== n || flat.size !== n) fail(`${metric}: sizes ${hnsw.size}/${flat.size}, expected ${n}`);
    for (const i of probe) {
      const v = data.subarray(i * dim, (i + 1) * dim);
      const h = hnsw.search(v, 5);
      const f = flat.search(v, 5);
      if (h.labels[0] !== labels[i]) fail(`${metric}: HNSW nearest of vector ${i} is ${h.labels[0]}, expected ${labels[i]}`);
      if (f.labels[0] !== labels[i]) fail(`${metric}: flat nearest of vector ${i} is ${f.labels[0]}, expected ${labels[i]}`);
      if (!(Math.abs(f.distances[0]) < 1e-4)) fail(`${metric}: flat self-distance ${f.distances[0]}`);
    }
    const batch = hnsw.searchBatch(data.subarray(0, 50 * dim), 3);
    for (let i = 0; i < 50; i++) if (batch.labels[i * 3] !== labels[i]) fail(`${metric}: searchBatch row ${i} found ${batch.labels[i * 3]}`);
  }

  // Worker pool and thread_local scratch on pool threads.
  const pooled = new q.HnswIndex({ dim, metric: 'ip' });
  await pooled.addAsync(labels, data);
  const extra = vectors(1, dim, 777);
  await pooled.addAsync([424242], extra);
  const r = await pooled.searchAsync(extra, 1);
  if (r.labels[0] !== 424242) fail(`searchAsync found ${r.labels[0]}, expected 424242`);

  // Save, reload, and a damaged file: the C++ loader throws, the binding turns it into a JS error.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quiver-smoke-'));
  try {
    const saved = path.join(dir, 'index.hnsw');
    const h = new q.HnswIndex({ dim, metric: 'euclidean' });
    h.add(labels, data);
    h.saveSync(saved);
    const back = q.HnswIndex.loadSync(saved);
    if (back.size !== n || back.search(data.subarray(0, dim), 1).labels[0] !== labels[0]) fail('reloaded index does not find vector 0');
    const bytes = fs.readFileSync(saved);
    bytes.fill(0x5a, 16, 96);
    fs.writeFileSync(path.join(dir, 'bad.hnsw'), bytes);
    let threw = null;
    try {
      q.HnswIndex.loadSync(path.join(dir, 'bad.hnsw'));
    } catch (err) {
      threw = err;
    }
    if (!(threw instanceof Error)) fail('loading a damaged file did not throw');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `smoke ok: node ${process.version} ${process.platform}-${process.arch}, simd ${active} (available: ${levels.join(',')}), ` +
      `${n}x${dim} hnsw+flat, ${ms.toFixed(0)} ms`,
  );
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
