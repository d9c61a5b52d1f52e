// Compact traversal codes for text-embedding-sized vectors (issue 15): HNSW with
// float32 traversal ('none'), int8 codes ('int8') and 1-bit RaBitQ-style codes
// ('rabitq'), all re-ranked in float32, on the same graph parameters.
// Reports bytes per vector (traversal representation and whole index), recall@10
// against exact search at each ef, and single-thread queries per CPU-second
// (process.cpuUsage, so other processes on a shared box do not count) as the
// median of `rounds` interleaved rounds (every mode at one ef before the next ef,
// the mode order rotating per round), and QPS at recall 0.95 interpolated on the
// median curve (bench/lib/stats.mjs qpsAtRecall).
//   node bench/hnsw-compact-codes.mjs [datasets] [efs] [rounds]
//   datasets: comma-separated names for bench/hnsw-datasets.mjs (default mixture:20000:768:cosine:norm)
//   efs: comma-separated ef values (default 10,16,24,32,48,64,96,128,192,256)
//   rounds: >= 1 (default 3)
// Writes a JSON summary to stdout's last line (prefix "JSON ").
import { statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as q from '../dist/index.js';
import { loadNamedDataset } from './hnsw-datasets.mjs';
import { ensureGroundTruth } from './lib/datasets.mjs';
import { describeMachine } from './lib/machine.mjs';
import { median, qpsAtRecall, recallAtK } from './lib/stats.mjs';

const [names = 'mixture:20000:768:cosine:norm', efArg = '10,16,24,32,48,64,96,128,192,256', roundsArg = '3'] =
  process.argv.slice(2);
const efs = efArg.split(',').map(Number);
const rounds = Number(roundsArg);
const MODES = ['none', 'int8', 'rabitq'];
const K = 10;
const MIN_CPU_US = 400_000;  // CPU time per measurement

function traversalBytes(mode, dim) {
  if (mode === 'none') return 4 * dim;
  if (mode === 'int8') return (dim + 3) & ~3;
  return Math.ceil(dim / 64) * 8 + 12;
}

function cpuSeconds(c) {
  return (c.user + c.system) / 1e6;
}

const machine = await describeMachine();
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, simd ${machine.simdLevel}, flags ${machine.cpuFlags.join(' ')}`);
const summary = { date: new Date().toISOString(), machine, efs, rounds, datasets: [] };

for (const name of names.split(',')) {
  let ds = loadNamedDataset(name);
  if (!ds) {
    console.log(`${name}: not found, skipped`);
    continue;
  }
  ds = await ensureGroundTruth(ds, K, { threads: 2 });
  const gt = ds.groundTruth;
  const labels = Float64Array.from({ length: ds.n }, (_, i) => i);
  console.log(`\n## ${ds.name}: ${ds.n} x ${ds.dim}, ${ds.metric}, ${ds.nq} queries`);
  const idx = {}, info = {};
  for (const mode of MODES) {
    const h = new q.HnswIndex({ dim: ds.dim, metric: ds.metric, M: 16, efConstruction: 200, seed: 1, quantization: mode });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    h.add(labels, ds.base, { threads: 2 });
    const buildCpu = cpuSeconds(process.cpuUsage(c0)), buildWall = (performance.now() - t0) / 1000;
    const path = join(tmpdir(), `compact-codes-${process.pid}-${mode}.hnsw`);
    h.saveSync(path);
    const fileBytes = statSync(path).size;
    rmSync(path);
    idx[mode] = h;
    info[mode] = {
      traversalBytesPerVector: traversalBytes(mode, ds.dim),
      indexBytesPerVector: h.memoryBytes() / ds.n,
      fileBytesPerVector: fileBytes / ds.n,
      buildCpuSeconds: buildCpu,
      buildWallSeconds: buildWall,
      recall: {},
      qps: {},
    };
    console.log(`${mode}: built in ${buildWall.toFixed(1)} s wall / ${buildCpu.toFixed(1)} s CPU (2 threads); ` +
      `traversal ${info[mode].traversalBytesPerVector} B/vector, index ${info[mode].indexBytesPerVector.toFixed(0)} B/vector in memory, ` +
      `${info[mode].fileBytesPerVector.toFixed(0)} B/vector on disk`);
  }
  // Recall (deterministic) once per mode and ef.
  for (const mode of MODES)
    for (const ef of efs) {
      const r = idx[mode].searchBatch(ds.queries, K, { ef, threads: 1 });
      info[mode].recall[ef] = recallAtK(r.labels, K, gt.ids, gt.k, K, ds.nq);
      info[mode].qps[ef] = [];
    }
  // Interleaved timing rounds.
  for (let round = 0; round < rounds; round++) {
    for (const ef of efs) {
      for (let m = 0; m < MODES.length; m++) {
        const mode = MODES[(m + round) % MODES.length];
        const h = idx[mode];
        h.searchBatch(ds.queries.subarray(0, Math.min(ds.nq, 50) * ds.dim), K, { ef, threads: 1 });  // warm
        const c0 = process.cpuUsage();
        let done = 0;
        do {
          h.searchBatch(ds.queries, K, { ef, threads: 1 });
          done += ds.nq;
        } while (process.cpuUsage(c0).user < MIN_CPU_US);
        info[mode].qps[ef].push(done / cpuSeconds(process.cpuUsage(c0)));
      }
    }
    console.log(`round ${round + 1}/${rounds} done`);
  }
  console.log('\n| ef | ' + MODES.map((m) => `${m} recall@10 | ${m} QPS/CPU-s`).join(' | ') + ' |');
  console.log('|---:|' + MODES.map(() => '---:|---:').join('|') + '|');
  const curves = {};
  for (const mode of MODES) curves[mode] = [];
  for (const ef of efs) {
    const cells = MODES.map((mode) => {
      const qps = median(info[mode].qps[ef]);
      curves[mode].push({ ef, recall: info[mode].recall[ef], qps });
      return `${info[mode].recall[ef].toFixed(4)} | ${qps.toFixed(0)}`;
    });
    console.log(`| ${ef} | ${cells.join(' | ')} |`);
  }
  console.log('\n| mode | traversal B/vector | index B/vector (memory) | file B/vector | build s (wall, 2 threads) | QPS/CPU-s at recall 0.95 | ef at 0.95 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const mode of MODES) {
    const at = qpsAtRecall(curves[mode], 0.95);
    const first = curves[mode].find((p) => p.recall >= 0.95);
    info[mode].qpsAt095 = at;
    info[mode].curve = curves[mode];
    console.log(`| ${mode} | ${info[mode].traversalBytesPerVector} | ${info[mode].indexBytesPerVector.toFixed(0)} | ` +
      `${info[mode].fileBytesPerVector.toFixed(0)} | ${info[mode].buildWallSeconds.toFixed(1)} | ` +
      `${at.qps === null ? 'not reached' : `${at.bound === 'at-least' ? '>= ' : ''}${at.qps.toFixed(0)}`} | ${first ? first.ef : '-'} |`);
  }
  summary.datasets.push({ name: ds.name, n: ds.n, dim: ds.dim, metric: ds.metric, nq: ds.nq, modes: info });
}
console.log('JSON ' + JSON.stringify(summary));
