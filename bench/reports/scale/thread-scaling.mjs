#!/usr/bin/env node
// HNSW build time with 1 thread and with 2 threads, alternately, on one unit-normalised
// mixture (cosine, M 16, efConstruction 200): wall seconds, CPU seconds, and the speedup of
// the median 2-thread build over the median 1-thread build. Needs a quiet machine: another
// job on a core turns the speedup into a measure of that job.
//   node bench/reports/scale/thread-scaling.mjs [n] [dim] [reps]     (default 200000 768 1)
import { generateGaussianMixture } from '../../lib/gaussian-mixture.mjs';
import { normalizeRows } from '../../lib/normalize.mjs';
import { median } from '../../lib/stats.mjs';
import { loadQuiverdb } from '../../lib/quiverdb.mjs';

const [n = 200_000, dim = 768, reps = 1] = process.argv.slice(2).map(Number);
const { HnswIndex } = await loadQuiverdb();
const g = generateGaussianMixture({ n, dim, queries: 1 });
normalizeRows(g.base, dim);
const labels = Float64Array.from({ length: n }, (_, i) => i);
const runs = { 1: [], 2: [] };
for (let r = 0; r < reps; r++) {
  for (const threads of r % 2 ? [2, 1] : [1, 2]) {
    const index = new HnswIndex({ dim, metric: 'cosine', M: 16, efConstruction: 200, seed: 1 });
    const t0 = performance.now(), c0 = process.cpuUsage();
    index.add(labels, g.base, { threads });
    const c = process.cpuUsage(c0), wall = (performance.now() - t0) / 1000;
    runs[threads].push(wall);
    console.log(`${n} x ${dim}, ${threads} thread(s): ${wall.toFixed(1)} s wall, ${((c.user + c.system) / 1e6).toFixed(1)} CPU s`);
  }
}
const one = median(runs[1]), two = median(runs[2]);
console.log(`median 1 thread ${one.toFixed(1)} s, 2 threads ${two.toFixed(1)} s: speedup ${(one / two).toFixed(2)}x`);
