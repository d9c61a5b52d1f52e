#!/usr/bin/env node
// Queries per CPU-second, two quiverdb builds (e.g. before/after a construction change) and
// hnswlib-node in ONE process, rounds interleaved (A, B, hnswlib; next round B, hnswlib, A; ...),
// median per ef, then QPS at recall 0.95 / 0.99 interpolated on each curve. Same search code in
// both quiverdb builds when only construction changed, so the difference is the graph.
// Each round also gives a paired ratio B/A (the two passes ran within a second of each other);
// its median and interquartile range per ef are the figures to read on a box whose speed drifts
// (shared caches: the same pass varies by 2x over minutes on the 2-core AMD EPYC VM).
//   node bench/reports/graph-quality/ab-qps.mjs <distA/index.js> <distB/index.js> <datasets,...> [efs] [rounds] [quantization]
// quantization ('int8', 'rabitq') applies to both quiverdb builds (default: float32 traversal).
// Graphs: k 10, M 16, efConstruction 200, seed 1, one build thread. Datasets: bench/hnsw-datasets.mjs.
import { ensureGroundTruth, limitQueries } from '../../lib/datasets.mjs';
import { loadNamedDataset } from '../../hnsw-datasets.mjs';
import { buildHnswlib } from '../../engines/hnswlib-node.mjs';
import { resolve } from 'node:path';

const [pathA, pathB, names, efArg = '10,12,16,20,24,32,40,48,64,96,128,192,256', roundsArg = '5', quantization] = process.argv.slice(2);
const A = await import(resolve(pathA)), B = await import(resolve(pathB));
const efs = efArg.split(',').map(Number), rounds = Number(roundsArg);
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
function at(curve, target) {
  for (let i = 0; i < curve.length; i++) {
    if (curve[i].recall < target) continue;
    if (i === 0) return `>=${Math.round(curve[0].qps)}`;
    const p = curve[i - 1], c = curve[i], t = (target - p.recall) / (c.recall - p.recall);
    return String(Math.round(p.qps + t * (c.qps - p.qps)));
  }
  return 'n/a';
}
for (const name of names.split(',')) {
  const ds = await ensureGroundTruth(limitQueries(loadNamedDataset(name), 1000), 10);
  const labels = Float64Array.from({ length: ds.n }, (_, i) => i);
  const engines = {};
  for (const [key, mod] of [['A', A], ['B', B]]) {
    const h = new mod.HnswIndex({ dim: ds.dim, metric: ds.metric, M: 16, efConstruction: 200, seed: 1, ...(quantization ? { quantization } : {}) });
    const c0 = process.cpuUsage(); h.add(labels, ds.base.subarray(0, ds.n * ds.dim), { threads: 1 }); const c = process.cpuUsage(c0);
    engines[key] = { build: (c.user + c.system) / 1e6, search: (qv, ef) => h.search(qv, 10, { ef }).labels };
  }
  {
    const c0 = process.cpuUsage();
    const h = buildHnswlib(ds.dim, ds.metric, ds.base.subarray(0, ds.n * ds.dim), { M: 16, efConstruction: 200, seed: 1 });
    const c = process.cpuUsage(c0);
    const qa = new Map();
    engines.hnswlib = { build: (c.user + c.system) / 1e6, search: (qv, ef) => { h.setEf(ef); let a = qa.get(qv); if (!a) qa.set(qv, (a = Array.from(qv))); return h.searchKnn(a, 10).neighbors; } };
  }
  const qs = Array.from({ length: ds.nq }, (_, i) => ds.queries.subarray(i * ds.dim, (i + 1) * ds.dim));
  const gt = ds.groundTruth;
  const keys = Object.keys(engines);
  const curves = Object.fromEntries(keys.map((k) => [k, []]));
  for (const ef of efs) {
    const runs = Object.fromEntries(keys.map((k) => [k, []]));
    const paired = [];
    const rec = {};
    for (const k of keys) {
      let hit = 0;
      qs.forEach((qv, i) => { const t = new Set(gt.ids.subarray(i * gt.k, i * gt.k + 10)); for (const l of engines[k].search(qv, ef)) hit += t.has(l); });
      rec[k] = hit / ds.nq / 10;
    }
    for (let r = 0; r < rounds; r++) {
      const order = keys.map((_, j) => keys[(j + r) % keys.length]);
      for (const k of order) {
        const c0 = process.cpuUsage(); let n = 0, c;
        do { for (const qv of qs) engines[k].search(qv, ef); n += qs.length; c = process.cpuUsage(c0); } while (c.user + c.system < 200_000);
        runs[k].push(n / ((c.user + c.system) / 1e6));
      }
      paired.push(runs.B[r] / runs.A[r]);
    }
    const sorted = [...paired].sort((x, y) => x - y);
    const quart = (f) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];
    for (const k of keys) curves[k].push({ ef, recall: rec[k], qps: med(runs[k]), paired: [med(paired), quart(0.25), quart(0.75)] });
  }
  console.log(`\n# ${ds.name}: ${ds.n} x ${ds.dim} ${ds.metric}, ${ds.nq} queries; build CPU s A ${engines.A.build.toFixed(2)}, B ${engines.B.build.toFixed(2)}, hnswlib ${engines.hnswlib.build.toFixed(2)}`);
  console.log('  ef  recall A  recall B  hnswlib | QPS/CPU-s A       B  hnswlib | paired B/A (IQR)');
  efs.forEach((ef, i) => {
    const [m, lo, hi] = curves.A[i].paired;
    console.log(String(ef).padStart(4), ...keys.map((k) => curves[k][i].recall.toFixed(4).padStart(9)), '|', ...keys.map((k) => String(Math.round(curves[k][i].qps)).padStart(7)), `| ${m.toFixed(3)} (${lo.toFixed(3)}-${hi.toFixed(3)})`);
  });
  for (const target of [0.95, 0.99]) {
    const v = Object.fromEntries(keys.map((k) => [k, at(curves[k], target)]));
    const ratio = Number(v.B) / Number(v.A);
    console.log(`recall ${target}: A ${v.A}, B ${v.B}, hnswlib ${v.hnswlib}; B/A ${Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a'}`);
  }
}
