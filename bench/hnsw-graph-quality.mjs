#!/usr/bin/env node
// HNSW graph quality, quiverdb vs hnswlib-node: recall@10 at equal ef (no timing), the
// queries that got none of their 10 neighbours ("lost": stranded in another cluster), and
// the structure of each built graph, read back from each engine's saved file:
// level-0 out-degree (mean, min, share of full lists), the share of sampled nodes whose
// true nearest neighbour is among their level-0 links, in-degree-0 nodes and nodes no
// search can reach from the entry point. k 10, M 16, efConstruction 200, one build thread.
//
//   node bench/hnsw-graph-quality.mjs [--datasets ngt_sift5k,mixture:40000:96:euclidean,...]
//        [--ef 16,32,64,128,256,512] [--engines quiverdb,hnswlib] [--sample 2000] [--out file.json]
//
// Dataset names: bench/hnsw-datasets.mjs. Needs dist/ and the native addon.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGroundTruth, limitQueries } from './lib/datasets.mjs';
import { computeGroundTruth } from './lib/ground-truth.mjs';
import { lostQueries, recallAtK } from './lib/stats.mjs';
import { loadQuiverdb } from './lib/quiverdb.mjs';
import { loadNamedDataset } from './hnsw-datasets.mjs';
import { buildHnswlib } from './engines/hnswlib-node.mjs';

const { values: args } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'ngt_sift5k,glove_twitter_25d_subset12k,mnist_test10k,textemb_ruwiki_minilm384,mixture:40000:96:euclidean,mixture:20000:768:cosine:norm' },
    ef: { type: 'string', default: '16,32,64,128,256,512' },
    engines: { type: 'string', default: 'quiverdb,hnswlib' },
    sample: { type: 'string', default: '2000' },
    'max-queries': { type: 'string', default: '1000' },
    stats: { type: 'string', default: '1' },
    out: { type: 'string', default: '' },
  },
});
const K = 10, M = 16, EFC = 200;
const efs = args.ef.split(',').map(Number);
const q = await loadQuiverdb();
const tmp = mkdtempSync(join(tmpdir(), 'hnsw-graph-quality-'));

// ---- graph files -> { entry, levels: Uint8Array, l0: Array<Uint32Array>, upper: Map(slot -> Array<Uint32Array>) }

function readQuiverGraph(path) {
  const b = readFileSync(path);
  const dim = b.readUInt32LE(20), m = b.readUInt32LE(24);
  const slots = Number(b.readBigUInt64LE(48));
  const entry = b.readUInt32LE(64), nsections = b.readUInt32LE(68);
  let at = 96;
  const sec = {};
  for (let i = 0; i < nsections; i++) {
    const tag = b.toString('latin1', at, at + 4);
    const bytes = Number(b.readBigUInt64LE(at + 8));
    sec[tag] = at + 24;
    at += 24 + bytes;
  }
  const levels = new Uint8Array(slots), l0 = [], upper = new Map();
  for (let s = 0; s < slots; s++) levels[s] = b[sec.META + 2 * s];
  for (let s = 0; s < slots; s++) {
    const o = sec.LNK0 + s * 4 * (1 + 2 * m);
    const cnt = b.readUInt32LE(o);
    l0.push(Uint32Array.from({ length: cnt }, (_, j) => b.readUInt32LE(o + 4 + 4 * j)));
  }
  let o = sec.LNKU;
  for (let s = 0; s < slots; s++) {
    if (levels[s] === 0) continue;
    const lists = [];
    for (let l = 1; l <= levels[s]; l++) {
      const cnt = b.readUInt32LE(o);
      lists.push(Uint32Array.from({ length: cnt }, (_, j) => b.readUInt32LE(o + 4 + 4 * j)));
      o += 4 * (1 + m);
    }
    upper.set(s, lists);
  }
  // Labels are the row numbers (added as 0..n-1 in one batch, so slot = row).
  const labels = new Float64Array(slots);
  for (let s = 0; s < slots; s++) labels[s] = Number(b.readBigUInt64LE(sec.LABL + 8 * s));
  return { entry, levels, l0, upper, labels, maxM0: 2 * m, dim };
}

function readHnswlibGraph(path) {
  const b = readFileSync(path);
  let at = 0;
  const sz = () => { const v = Number(b.readBigUInt64LE(at)); at += 8; return v; };
  const i32 = () => { const v = b.readInt32LE(at); at += 4; return v; };
  const offsetLevel0 = sz(); sz(); const count = sz(); const perElement = sz(); const labelOffset = sz(); sz();
  i32(); const entry = i32(); const maxM = sz(); const maxM0 = sz(); sz(); at += 8; sz();
  const data0 = at;
  at += count * perElement;
  const levels = new Uint8Array(count), l0 = [], upper = new Map(), labels = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    const o = data0 + s * perElement + offsetLevel0;
    const cnt = b.readUInt16LE(o);
    l0.push(Uint32Array.from({ length: cnt }, (_, j) => b.readUInt32LE(o + 4 + 4 * j)));
    labels[s] = Number(b.readBigUInt64LE(data0 + s * perElement + labelOffset));
  }
  for (let s = 0; s < count; s++) {
    const size = b.readUInt32LE(at); at += 4;
    if (size === 0) continue;
    const nl = size / (4 * (maxM + 1));
    levels[s] = nl;
    const lists = [];
    for (let l = 0; l < nl; l++) {
      const o = at + l * 4 * (maxM + 1);
      const cnt = b.readUInt16LE(o);
      lists.push(Uint32Array.from({ length: cnt }, (_, j) => b.readUInt32LE(o + 4 + 4 * j)));
    }
    upper.set(s, lists);
    at += size;
  }
  return { entry, levels, l0, upper, labels, maxM0 };
}

// Structure of a graph; `nn` maps a sampled row to its true nearest other row.
function graphStats(g, sampleRows, nnOfSample) {
  const n = g.l0.length;
  const rowToSlot = new Int32Array(n);
  for (let s = 0; s < n; s++) rowToSlot[g.labels[s]] = s;
  let deg = 0, minDeg = Infinity, full = 0;
  const indeg = new Uint32Array(n);
  for (let s = 0; s < n; s++) {
    deg += g.l0[s].length;
    minDeg = Math.min(minDeg, g.l0[s].length);
    full += g.l0[s].length === g.maxM0;
    for (const t of g.l0[s]) indeg[t]++;
  }
  let noIn = 0;
  for (let s = 0; s < n; s++) noIn += indeg[s] === 0 && s !== g.entry;
  // Reachability from the entry point over every level.
  const seen = new Uint8Array(n);
  const stack = [g.entry];
  seen[g.entry] = 1;
  while (stack.length) {
    const s = stack.pop();
    const lists = [g.l0[s], ...(g.upper.get(s) ?? [])];
    for (const ln of lists) for (const t of ln) if (!seen[t]) { seen[t] = 1; stack.push(t); }
  }
  let unreachable = 0;
  for (let s = 0; s < n; s++) unreachable += !seen[s];
  let nnLinked = 0, nnBack = 0;
  for (let i = 0; i < sampleRows.length; i++) {
    const s = rowToSlot[sampleRows[i]], t = rowToSlot[nnOfSample[i]];
    nnLinked += g.l0[s].includes(t);
    nnBack += g.l0[t].includes(s);
  }
  return { meanDegree0: deg / n, minDegree0: minDeg, fullShare0: full / n, noInbound0: noIn, unreachable,
    nnLinked: nnLinked / sampleRows.length, nnLinksBack: nnBack / sampleRows.length };
}

function quiverEngine(ds) {
  let index;
  return {
    name: 'quiverdb',
    build() {
      index = new q.HnswIndex({ dim: ds.dim, metric: ds.metric, M, efConstruction: EFC, seed: 1 });
      index.add(Float64Array.from({ length: ds.n }, (_, i) => i), ds.base, { threads: 1 });
    },
    search(query, ef) { return index.search(query, K, { ef }).labels; },
    graph() { const p = join(tmp, 'q.hnsw'); index.saveSync(p); return readQuiverGraph(p); },
  };
}

function hnswlibEngine(ds) {
  let index;
  return {
    name: 'hnswlib-node',
    build() {
      index = buildHnswlib(ds.dim, ds.metric, ds.base.subarray(0, ds.n * ds.dim), { M, efConstruction: EFC, seed: 1 });
    },
    search(query, ef) { index.setEf(ef); return index.searchKnn(Array.from(query), K).neighbors; },
    graph() { const p = join(tmp, 'h.bin'); index.writeIndexSync(p); return readHnswlibGraph(p); },
  };
}

const makers = { quiverdb: quiverEngine, hnswlib: hnswlibEngine };
const report = { date: new Date().toISOString(), k: K, M, efConstruction: EFC, simd: q.simdLevel(), env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('QDIAG_'))), datasets: [] };
for (const name of args.datasets.split(',')) {
  let ds = loadNamedDataset(name);
  if (!ds) { console.log(`# ${name}: skipped (absent)`); continue; }
  ds = await ensureGroundTruth(limitQueries(ds, Number(args['max-queries'])), K);
  const gt = ds.groundTruth;
  console.log(`\n# ${ds.name}: ${ds.n} x ${ds.dim} ${ds.metric}, ${ds.nq} queries`);
  // True nearest other row of a sample of base rows (k 2: the row itself comes first).
  let sampleRows = null, nnOfSample = null;
  if (args.stats !== '0') {
    const ns = Math.min(ds.n, Number(args.sample));
    sampleRows = Int32Array.from({ length: ns }, (_, i) => Math.floor((i * ds.n) / ns));
    const qs = new Float32Array(ns * ds.dim);
    sampleRows.forEach((r, i) => qs.set(ds.base.subarray(r * ds.dim, (r + 1) * ds.dim), i * ds.dim));
    const t = await computeGroundTruth({ base: ds.base, n: ds.n, dim: ds.dim, queries: qs, nq: ns, metric: ds.metric, k: 2 });
    nnOfSample = Int32Array.from(sampleRows, (r, i) => (t.ids[2 * i] === r ? t.ids[2 * i + 1] : t.ids[2 * i]));
  }
  const entry = { name: ds.name, n: ds.n, dim: ds.dim, metric: ds.metric, engines: {} };
  const out = new Int32Array(ds.nq * K);
  const header = ['ef'.padStart(4)];
  const rows = efs.map((ef) => [String(ef).padStart(4)]);
  for (const en of args.engines.split(',')) {
    const e = makers[en](ds);
    const c0 = process.cpuUsage();
    e.build();
    const c = process.cpuUsage(c0);
    const info = { buildCpuSeconds: (c.user + c.system) / 1e6, recall: {}, lost: {} };
    header.push(e.name.padStart(13), 'lost'.padStart(5));
    efs.forEach((ef, r) => {
      out.fill(-1);
      for (let i = 0; i < ds.nq; i++) {
        const res = e.search(ds.queries.subarray(i * ds.dim, (i + 1) * ds.dim), ef);
        for (let j = 0; j < res.length; j++) out[i * K + j] = res[j];
      }
      info.recall[ef] = recallAtK(out, K, gt.ids, gt.k, K, ds.nq);
      info.lost[ef] = lostQueries(out, K, gt.ids, gt.k, K, ds.nq);
      rows[r].push(info.recall[ef].toFixed(4).padStart(13), String(info.lost[ef]).padStart(5));
    });
    if (args.stats !== '0') info.graph = graphStats(e.graph(), sampleRows, nnOfSample);
    entry.engines[e.name] = info;
  }
  console.log(header.join(' '));
  for (const r of rows) console.log(r.join(' '));
  for (const [name, info] of Object.entries(entry.engines)) {
    const g = info.graph;
    console.log(`${name.padEnd(13)} build ${info.buildCpuSeconds.toFixed(1)} CPU s` + (g ? `; level 0: mean degree ${g.meanDegree0.toFixed(1)}, min ${g.minDegree0}, ` +
      `full ${(100 * g.fullShare0).toFixed(0)}%; true NN linked ${(100 * g.nnLinked).toFixed(1)}% (NN links back ${(100 * g.nnLinksBack).toFixed(1)}%); ` +
      `no inbound ${g.noInbound0}, unreachable ${g.unreachable}` : ''));
  }
  report.datasets.push(entry);
}
rmSync(tmp, { recursive: true, force: true });
if (args.out) { writeFileSync(args.out, JSON.stringify(report, null, 2)); console.log(`wrote ${args.out}`); }
