#!/usr/bin/env node
// Where HnswIndex.load's time goes: builds a random n x dim cosine index cheaply (efConstruction
// 16: the file's size, not the graph's quality, sets the open time), saves it, then opens it
// three times in one process (the earlier indexes stay in memory, as after a bench's build),
// printing wall, user and system seconds of each open. Run under `perf record` for the profile.
//   node bench/reports/scale/open-probe.mjs [n] [dim] [file]
import { rmSync } from 'node:fs';
import { loadQuiverdb } from '../../lib/quiverdb.mjs';
import { seededRandom } from '../../lib/rng.mjs';

const [nArg = '200000', dimArg = '384', file = '/tmp/quiver-open-probe.hnsw'] = process.argv.slice(2);
const n = Number(nArg), dim = Number(dimArg);
const q = await loadQuiverdb();
const { uniform } = seededRandom(7);
const built = new q.HnswIndex({ dim, metric: 'cosine', M: 16, efConstruction: 16, seed: 1 });
for (let i = 0; i < n; i += 20000) {
  const m = Math.min(20000, n - i);
  const v = Float32Array.from({ length: m * dim }, () => uniform() - 0.5);
  built.add(Array.from({ length: m }, (_, j) => i + j), v, { threads: 1 });
}
built.saveSync(file);
const kept = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  kept.push(await q.HnswIndex.load(file));
  const c = process.cpuUsage(c0);
  console.log(`open ${r + 1}: ${((performance.now() - t0) / 1000).toFixed(3)} s wall, ` +
    `${(c.user / 1e6).toFixed(3)} s user, ${(c.system / 1e6).toFixed(3)} s system (${kept[r].size} vectors)`);
}
rmSync(file, { force: true });
