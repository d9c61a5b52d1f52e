#!/usr/bin/env node
// quiverdb HnswIndex vs hnswlib-node vs usearch, side by side in one process:
// build time (1 thread; quiverdb also with 2), memory, and recall@10 / QPS curves
// over ef for one query per call, single-threaded (k = 10, M = 16, efConstruction = 200).
//
//   node bench/hnsw-vs-peers.mjs [--datasets mixture,ngt_sift5k,glove_twitter_25d_subset12k,mnist_test10k]
//        [--ef 10,16,...] [--repeats 3] [--min-time 0.25] [--engines quiverdb,hnswlib,usearch]
//        (engines: quiverdb, quiverdb-int8 (quantization: 'int8'), quiverdb-rabitq (quantization: 'rabitq'), hnswlib, usearch)
//        [--mixture-n 100000] [--mixture-metric euclidean] [--no-build-threads2] [--out bench/results/hnsw-vs-peers.json]
//   Dataset names (bench/hnsw-datasets.mjs): a folder of ../shared/datasets; `mixture` (--mixture-n x 128,
//   --mixture-metric); or mixture:N:DIM:METRIC[:norm][:key=value...], a generated Gaussian mixture of
//   N x DIM, `norm` for unit-length vectors, key=value overriding the generator's parameters, e.g. the
//   768-d normalized cosine set mixture:20000:768:cosine:norm (harder: ...:clusters=1:rank=128:decay=0).
//
// Needs dist/ (npx tsup) and the native addon. Datasets are read from ../shared/datasets.
// Per ef, engines run interleaved and each point is the median of --repeats timed passes
// over all queries, so machine noise hits every engine alike; compare ratios.
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGroundTruth, limitQueries } from './lib/datasets.mjs';
import { datasetsRoot, loadNamedDataset } from './hnsw-datasets.mjs';
import { median, qpsAtRecall, recallAtK } from './lib/stats.mjs';
import { loadQuiverdb } from './lib/quiverdb.mjs';
import { buildHnswlib } from './engines/hnswlib-node.mjs';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    datasets: { type: 'string', default: 'mixture,ngt_sift5k,glove_twitter_25d_subset12k,mnist_test10k' },
    ef: { type: 'string', default: '10,12,16,20,24,32,40,48,64,80,96,128,160,192,256,384,512' },
    repeats: { type: 'string', default: '3' },
    'min-time': { type: 'string', default: '0.25' },
    engines: { type: 'string', default: 'quiverdb,hnswlib,usearch' },
    'mixture-n': { type: 'string', default: '100000' },
    'mixture-metric': { type: 'string', default: 'euclidean' },
    'max-queries': { type: 'string', default: '1000' },
    'build-threads2': { type: 'boolean', default: true },
    out: { type: 'string', default: 'bench/results/hnsw-vs-peers.json' },
  },
});
const K = 10, M = 16, EFC = 200;
const efs = args.ef.split(',').map(Number);
const repeats = Number(args.repeats), minTime = Number(args['min-time']);
const engineNames = args.engines.split(',');
const q = await loadQuiverdb();

function loadNamed(name) {
  return loadNamedDataset(name, { mixtureN: Number(args['mixture-n']), mixtureMetric: args['mixture-metric'] });
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

// ---- engines: direct, minimal per-call paths (each engine's fastest documented single-query call)

function quiverdbEngine(ds, quantization = 'none') {
  let index;
  return {
    name: quantization === 'none' ? 'quiverdb' : `quiverdb-${quantization}`,
    build(threads) {
      index = new q.HnswIndex({ dim: ds.dim, metric: ds.metric, M, efConstruction: EFC, seed: 1, quantization });
      index.add(Float64Array.from({ length: ds.n }, (_, i) => i), ds.base, { threads });
    },
    memory: () => index.memoryBytes(),
    prepare: (qs) => qs,
    runPass(queries, ef, out) {
      const opts = { ef };
      for (let i = 0; i < queries.length; i++) {
        const r = index.search(queries[i], K, opts).labels;
        for (let j = 0; j < r.length; j++) out[i * K + j] = r[j];
      }
    },
    close() { index = null; },
  };
}

function hnswlibEngine(ds) {
  let index;
  return {
    name: 'hnswlib-node',
    build() {
      index = buildHnswlib(ds.dim, ds.metric, ds.base.subarray(0, ds.n * ds.dim), { M, efConstruction: EFC, seed: 1 });
    },
    memory: () => null,
    // searchKnn takes number[]: converted once, outside the timed loop (its best case).
    prepare: (qs) => qs.map((x) => Array.from(x)),
    runPass(queries, ef, out) {
      index.setEf(ef);
      for (let i = 0; i < queries.length; i++) {
        const r = index.searchKnn(queries[i], K).neighbors;
        for (let j = 0; j < r.length; j++) out[i * K + j] = r[j];
      }
    },
    close() { index = null; },
  };
}

function usearchEngine(ds) {
  const { Index } = require('usearch');
  const config = { dimensions: ds.dim, metric: { euclidean: 'l2sq', cosine: 'cos', ip: 'ip' }[ds.metric], quantization: 'f32',
    connectivity: M, expansion_add: EFC, multi: false };
  const dir = mkdtempSync(join(tmpdir(), 'hnsw-vs-peers-'));
  let index, currentEf = 64;
  return {
    name: 'usearch',
    build(threads) {
      index = new Index({ ...config, expansion_search: currentEf });
      const keys = new BigUint64Array(ds.n);
      for (let i = 0; i < ds.n; i++) keys[i] = BigInt(i);
      index.add(keys, ds.base, threads);
    },
    memory: () => null,
    prepare: (qs) => qs,
    runPass(queries, ef, out) {
      if (ef !== currentEf) throw new Error('usearch: call setEf(ef) first (ef is fixed at construction)');
      for (let i = 0; i < queries.length; i++) {
        const r = index.search(queries[i], K, 1).keys;
        for (let j = 0; j < r.length; j++) out[i * K + j] = Number(r[j]);
      }
    },
    // ef is fixed at construction in usearch's JS API: save and reload into an Index
    // constructed with the new ef (outside the timed passes).
    setEf(ef) {
      if (ef === currentEf) return;
      const file = join(dir, 'u.index');
      index.save(file);
      const next = new Index({ ...config, expansion_search: ef });
      next.load(file);
      index = next;
      currentEf = ef;
    },
    close() { index = null; rmSync(dir, { recursive: true, force: true }); },
  };
}

const makers = { quiverdb: quiverdbEngine, 'quiverdb-int8': (ds) => quiverdbEngine(ds, 'int8'),
  'quiverdb-rabitq': (ds) => quiverdbEngine(ds, 'rabitq'), hnswlib: hnswlibEngine,
  usearch: usearchEngine };
const isQuiver = (name) => name.startsWith('quiverdb');

// ---- measurement

// Repeats whole passes until minTime of wall time has elapsed. Returns wall-clock QPS
// and QPS per CPU-second of this process (user + system): on a shared machine the
// latter is far less disturbed by other processes, and it is the same measure for
// every engine here (all single-threaded).
function timedPass(engine, queries, ef, out) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let elapsed = 0;
  do {
    engine.runPass(queries, ef, out);
    n += queries.length;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < minTime);
  const cpu = process.cpuUsage(c0);
  return { wall: n / elapsed, cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

const results = { date: new Date().toISOString(), k: K, M, efConstruction: EFC, simd: q.simdLevel(), node: process.version, datasets: [] };
for (const name of args.datasets.split(',')) {
  let ds = loadNamed(name);
  if (!ds) {
    console.log(`# ${name}: skipped (not found under ${datasetsRoot})`);
    continue;
  }
  ds = limitQueries(ds, Number(args['max-queries']));
  ds = await ensureGroundTruth(ds, K);
  const gt = ds.groundTruth;
  console.log(`\n# ${ds.name}: ${ds.n} x ${ds.dim} ${ds.metric}, ${ds.nq} queries (truth: ${gt.from})`);
  const rawQueries = Array.from({ length: ds.nq }, (_, i) => ds.queries.slice(i * ds.dim, (i + 1) * ds.dim));
  const entry = { name: ds.name, n: ds.n, dim: ds.dim, metric: ds.metric, nq: ds.nq, engines: {} };
  const engines = [];
  for (const en of engineNames) {
    const e = makers[en](ds);
    const rss0 = rssMiB();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    e.build(1);
    const buildSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    // Single-threaded builds: CPU seconds are the build's own work, undisturbed by other load.
    const info = { buildSeconds1: buildSeconds, buildCpuSeconds1: (cpu.user + cpu.system) / 1e6, rssDeltaMiB: rssMiB() - rss0,
      indexBytes: e.memory(), curve: [] };
    if (isQuiver(en) && args['build-threads2']) {
      const t1 = performance.now();
      const e2 = makers[en](ds);
      e2.build(2);
      info.buildSeconds2 = (performance.now() - t1) / 1000;
      e2.close();
    }
    console.log(`${e.name.padEnd(13)} build 1 thread ${buildSeconds.toFixed(2)} s (${info.buildCpuSeconds1.toFixed(2)} CPU s)` +
      (info.buildSeconds2 ? `, 2 threads ${info.buildSeconds2.toFixed(2)} s (x${(buildSeconds / info.buildSeconds2).toFixed(2)})` : '') +
      (info.indexBytes ? `, index ${(info.indexBytes / ds.n).toFixed(0)} B/vector (budget ${4 * ds.dim + 8 * M + 48}${en === 'quiverdb-int8' ? ` + ${Math.ceil(ds.dim / 4) * 4} for the codes` : ''})` : '') +
      `, RSS +${info.rssDeltaMiB.toFixed(0)} MiB`);
    entry.engines[e.name] = info;
    engines.push({ e, queries: e.prepare(rawQueries), info });
  }
  const out = new Int32Array(ds.nq * K);
  console.log(`${'ef'.padStart(4)} ` + engines.map(({ e }) => `${e.name.padStart(13)} recall qps/cpu qps/wall`).join(' | '));
  for (const ef of efs) {
    const row = [];
    for (const { e, queries, info } of engines) {
      e.setEf?.(ef);
      out.fill(-1);
      e.runPass(queries, ef, out); // warm-up, and the recall
      const recall = recallAtK(out, K, gt.ids, gt.k, K, ds.nq);
      info.curve.push({ ef, recall, qpsRuns: [], cpuQpsRuns: [] });
    }
    for (let r = 0; r < repeats; r++)
      for (const { e, queries, info } of engines) {
        const t = timedPass(e, queries, ef, out);
        info.curve.at(-1).qpsRuns.push(t.wall);
        info.curve.at(-1).cpuQpsRuns.push(t.cpu);
      }
    for (const { info } of engines) {
      const p = info.curve.at(-1);
      p.wallQps = median(p.qpsRuns);
      p.qps = median(p.cpuQpsRuns);
      row.push(`${''.padStart(13)} ${p.recall.toFixed(4)} ${p.qps.toFixed(0).padStart(7)} ${p.wallQps.toFixed(0).padStart(7)}`);
    }
    console.log(`${String(ef).padStart(4)} ` + row.join(' | '));
  }
  for (const { e, info } of engines) {
    info.atRecall95 = qpsAtRecall(info.curve, 0.95);
    info.atRecall95Wall = qpsAtRecall(info.curve.map((p) => ({ ...p, qps: p.wallQps })), 0.95);
    const first = info.curve.find((p) => p.recall >= 0.95);
    info.firstEfAt95 = first ? { ef: first.ef, recall: first.recall, qps: first.qps } : null;
    e.close();
  }
  const fmt = (x) => (x == null ? 'n/a' : x.toFixed(0));
  const peers = engines.filter(({ e }) => !isQuiver(e.name));
  const peersBest = Math.max(...peers.map(({ info }) => info.atRecall95.qps ?? 0));
  // QPS per CPU-second at several recall targets, and each quiverdb engine's ratio to the faster peer there.
  for (const target of [0.9, 0.95, 0.99]) {
    const at = engines.map(({ e, info }) => ({ name: e.name, qps: qpsAtRecall(info.curve, target).qps }));
    const best = Math.max(...at.filter((a) => !isQuiver(a.name)).map((a) => a.qps ?? 0));
    entry[`atRecall${Math.round(target * 100)}`] = Object.fromEntries(at.map((a) => [a.name, a.qps]));
    console.log(`recall ${target.toFixed(2)}: ` + at.map((a) => `${a.name} ${fmt(a.qps)}` +
      (isQuiver(a.name) && a.qps && best > 0 ? ` (x${(a.qps / best).toFixed(2)})` : '')).join(', '));
  }
  for (const { e, info } of engines)
    if (isQuiver(e.name) && e.name !== 'quiverdb' && info.atRecall95.qps && peersBest > 0)
      console.log(`${e.name} / faster peer at recall 0.95: x${(info.atRecall95.qps / peersBest).toFixed(2)} (CPU time)`);
  console.log('QPS per CPU-second at recall 0.95 (interpolated): ' + engines.map(({ e, info }) => `${e.name} ${fmt(info.atRecall95.qps)}` +
    (info.firstEfAt95 ? ` (first ef ${info.firstEfAt95.ef}: ${fmt(info.firstEfAt95.qps)})` : '')).join(', '));
  const ours = entry.engines.quiverdb?.atRecall95.qps;
  if (ours && peersBest > 0) {
    entry.ratioVsFasterPeer = ours / peersBest;
    const peersBestWall = Math.max(...peers.map(({ info }) => info.atRecall95Wall.qps ?? 0));
    entry.ratioVsFasterPeerWall = entry.engines.quiverdb.atRecall95Wall.qps / peersBestWall;
    console.log(`quiverdb / faster peer at recall 0.95: x${entry.ratioVsFasterPeer.toFixed(2)} (CPU time), x${entry.ratioVsFasterPeerWall.toFixed(2)} (wall)`);
    const hl = entry.engines['hnswlib-node'];
    const us = entry.engines.usearch;
    const qb = entry.engines.quiverdb;
    for (const [peer, p] of [['usearch', us], ['hnswlib-node', hl]])
      if (p) console.log(`build time quiverdb / ${peer} (1 thread): ${(qb.buildSeconds1 / p.buildSeconds1).toFixed(2)} wall, ` +
        `${(qb.buildCpuSeconds1 / p.buildCpuSeconds1).toFixed(2)} CPU`);
  }
  results.datasets.push(entry);
}
if (args.out) {
  mkdirSync(join(args.out, '..'), { recursive: true });
  writeFileSync(args.out, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${args.out}`);
}
