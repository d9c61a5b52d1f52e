#!/usr/bin/env node
// HNSW at scale, quiverdb vs usearch (f32 and i8) vs hnswlib-node in one process: build time
// (--threads, and 1 thread with --single-thread), bytes per vector (in memory where the engine
// reports it, and saved), save and open time, recall@10 / QPS per CPU-second curves (one query
// per call, one thread, engines interleaved per ef, medians), QPS at recall 0.95 / 0.99 and
// quiverdb's ratio to the best peer; then the same after --replace of the vectors are replaced
// by new ones (quiverdb: add with existing labels; usearch: remove + add; hnswlib: addPoint on
// an existing label), with the time each engine took to replace them.
//
//   node --max-old-space-size=16384 bench/hnsw-scale.mjs --n 1000000 --dim 384 [--metric cosine] [--no-norm]
//        [--engines quiverdb,quiverdb-int8,quiverdb-rabitq,usearch-f32,usearch-i8,hnswlib] [--threads 2] [--single-thread]
//        [--ef 16,24,32,48,64,96,128,192,256,384] [--reps 3] [--min-time 0.3] [--queries 1000]
//        [--replace 0.2] [--dir /tmp] [--out bench/reports/scale/<n>x<dim>]
//        [--single-thread-engines quiverdb,...] [--replace-engines quiverdb,...] [--peer-cache DIR]
//
// At 1M the peers' 1-thread builds and hnswlib-node's replacement take the better part of an
// hour each on 2 cores: --single-thread-engines limits the 1-thread builds (it implies
// --single-thread) and --replace-engines the engines measured after replacement. --peer-cache keeps
// hnswlib-node's saved index (its 1-thread build is deterministic, and so is the data) with the
// build's timings beside it; a later run with the same n, dim, metric and norm opens it instead
// of building, and its report gives the cached build time with the date it was measured.
//
// Data: the seeded Gaussian mixture of bench/lib/gaussian-mixture.mjs (32 clusters, rank 48),
// unit length unless --no-norm; the replacement vectors are further rows of the same mixture.
// k 10, M 16, efConstruction 200. Needs dist/ and the native addon. Memory: each engine's index (1.7-2.2 KB per
// vector at 384-d, usearch i8 0.5 KB) plus ~3 x n x dim x 4 bytes of data.
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateGaussianMixture } from './lib/gaussian-mixture.mjs';
import { normalizeRows } from './lib/normalize.mjs';
import { computeGroundTruth } from './lib/ground-truth.mjs';
import { seededRandom } from './lib/rng.mjs';
import { median, qpsAtRecall, recallAtK } from './lib/stats.mjs';
import { loadQuiverdb } from './lib/quiverdb.mjs';
import { buildHnswlib } from './engines/hnswlib-node.mjs';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    n: { type: 'string', default: '1000000' },
    dim: { type: 'string', default: '384' },
    metric: { type: 'string', default: 'cosine' },
    norm: { type: 'boolean', default: true },
    engines: { type: 'string', default: 'quiverdb,quiverdb-int8,quiverdb-rabitq,usearch-f32,usearch-i8,hnswlib' },
    threads: { type: 'string', default: '2' },
    'single-thread': { type: 'boolean', default: false },
    'single-thread-engines': { type: 'string', default: '' },
    'replace-engines': { type: 'string', default: '' },
    ef: { type: 'string', default: '16,24,32,48,64,96,128,192,256,384' },
    reps: { type: 'string', default: '3' },
    'min-time': { type: 'string', default: '0.3' },
    queries: { type: 'string', default: '1000' },
    replace: { type: 'string', default: '0.2' },
    dir: { type: 'string', default: '/tmp' },
    out: { type: 'string', default: '' },
    'peer-cache': { type: 'string', default: '' },
  },
});
const K = 10, M = 16, EFC = 200;
const n = Number(args.n), dim = Number(args.dim), metric = args.metric, threads = Number(args.threads);
const efs = args.ef.split(',').map(Number);
const reps = Number(args.reps), minTime = Number(args['min-time']), nq = Number(args.queries);
const nReplace = Math.round(n * Number(args.replace));
const out = args.out || `bench/reports/scale/${n}x${dim}`;
const listOrAll = (v) => (v ? new Set(v.split(',')) : null);
const singleThreadEngines = listOrAll(args['single-thread-engines']);
const replaceEngines = listOrAll(args['replace-engines']);
const wants = (set, e) => !set || set.has(e.key);
const q = await loadQuiverdb();
const work = mkdtempSync(join(args.dir, 'hnsw-scale-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);
const cpuSeconds = (c) => (c.user + c.system) / 1e6;
function timed(fn) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const value = fn();
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds(process.cpuUsage(c0)), value };
}
async function timedAsync(fn) {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds(process.cpuUsage(c0)), value };
}

// ---- data: n base rows, nReplace replacement rows, nq queries

log(`generating ${n + nReplace} x ${dim} (${nReplace} of them replacements) and ${nq} queries`);
const g = generateGaussianMixture({ n: n + nReplace, dim, queries: nq });
if (args.norm) {
  normalizeRows(g.base, dim);
  normalizeRows(g.queries, dim);
}
const base = g.base.subarray(0, n * dim);
const replacements = g.base.subarray(n * dim);
const queries = Array.from({ length: nq }, (_, i) => g.queries.slice(i * dim, (i + 1) * dim));
// Which rows get replaced: a seeded sample without repetition.
const replacedRows = seededRandom(7).sample(n, nReplace).sort();
log('ground truth (exact, FlatIndex)');
const truth0 = await computeGroundTruth({ base, n, dim, queries: g.queries, nq, metric, k: K, threads });

// ---- engines: build(threads), save(file), open(file), replace(rows, vectors), runPass(ef, out)

function quiverdbEngine(quantization) {
  let index;
  return {
    name: quantization === 'none' ? 'quiverdb' : `quiverdb-${quantization}`,
    quiverdb: true,
    build(t) {
      index = new q.HnswIndex({ dim, metric, M, efConstruction: EFC, seed: 1, quantization });
      const chunk = 50_000;
      for (let s = 0; s < n; s += chunk) {
        const c = Math.min(chunk, n - s);
        index.add(Float64Array.from({ length: c }, (_, i) => s + i), base.subarray(s * dim, (s + c) * dim), { threads: t });
      }
    },
    memoryBytes: () => index.memoryBytes(),
    save: (file) => index.save(file),
    async open(file) { index = await q.HnswIndex.load(file); },
    replace(rows, vectors, t) { index.add(Float64Array.from(rows), vectors, { threads: t }); },
    runPass(ef, res) {
      const opts = { ef };
      for (let i = 0; i < nq; i++) {
        const r = index.search(queries[i], K, opts).labels;
        for (let j = 0; j < r.length; j++) res[i * K + j] = r[j];
      }
    },
    close() { index = null; },
  };
}

// An N-API object's native memory goes in its finalizer, which Node 20 runs on a later
// turn of the event loop, not inside gc(): collect, yield once, collect again. Without
// it a synchronous sweep that reloads usearch per ef kept every copy (the first 1M x 384
// run with usearch was killed for memory at ef 64).
async function releaseNative() {
  globalThis.gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  globalThis.gc?.();
}

function usearchEngine(quantization) {
  const { Index } = require('usearch');
  const config = { dimensions: dim, metric: { euclidean: 'l2sq', cosine: 'cos', ip: 'ip' }[metric], quantization,
    connectivity: M, expansion_add: EFC, multi: false };
  let index, currentEf = 64, file = null;
  const keysOf = (rows) => BigUint64Array.from(rows, (r) => BigInt(r));
  return {
    name: `usearch-${quantization}`,
    build(t) {
      index = new Index({ ...config, expansion_search: currentEf });
      const chunk = 50_000;
      for (let s = 0; s < n; s += chunk) {
        const c = Math.min(chunk, n - s);
        index.add(keysOf(Array.from({ length: c }, (_, i) => s + i)), base.subarray(s * dim, (s + c) * dim), t);
      }
    },
    memoryBytes: () => null,
    save(f) { index.save(f); file = f; },
    open(f) {
      index = null;
      globalThis.gc?.();
      const next = new Index({ ...config, expansion_search: currentEf });
      next.load(f);
      index = next;
      file = f;
    },
    replace(rows, vectors, t) {
      const keys = keysOf(rows);
      index.remove(keys);
      index.add(keys, vectors, t);
      file = null;
    },
    // usearch's JS API fixes ef at construction: save once, reload with the new ef (untimed).
    // The old index is freed first (see releaseNative): at 1M x 384 one copy is 1.7 GB.
    async setEf(ef) {
      if (ef === currentEf) return;
      if (!file || !existsSync(file)) this.save(join(work, `${this.name}.ef.usearch`));
      currentEf = ef;
      index = null;
      await releaseNative();
      this.open(file);
    },
    runPass(ef, res) {
      for (let i = 0; i < nq; i++) {
        const r = index.search(queries[i], K, 1).keys;
        for (let j = 0; j < r.length; j++) res[i * K + j] = Number(r[j]);
      }
    },
    close() { index = null; },
  };
}

function hnswlibEngine() {
  const { HierarchicalNSW } = require('hnswlib-node');
  const space = { euclidean: 'l2', cosine: 'cosine', ip: 'ip' }[metric];
  let index;
  const arrays = queries.map((x) => Array.from(x)); // its searchKnn takes number[]: converted once
  return {
    name: 'hnswlib-node',
    singleThreadOnly: true,
    cacheKey: `hnswlib-${n}x${dim}-${metric}${args.norm ? '-norm' : ''}-M${M}-efc${EFC}-seed1`,
    build() { index = buildHnswlib(dim, metric, base, { M, efConstruction: EFC, seed: 1 }); },
    memoryBytes: () => null,
    save(f) { index.writeIndexSync(f); },
    open(f) {
      index = new HierarchicalNSW(space, dim);
      index.readIndexSync(f);
    },
    replace(rows, vectors) {
      // addPoint on an existing label updates its vector and links (hnswlib's updatePoint).
      for (let i = 0; i < rows.length; i++) index.addPoint(Array.from(vectors.subarray(i * dim, (i + 1) * dim)), rows[i]);
    },
    runPass(ef, res) {
      index.setEf(ef);
      for (let i = 0; i < nq; i++) {
        const r = index.searchKnn(arrays[i], K).neighbors;
        for (let j = 0; j < r.length; j++) res[i * K + j] = r[j];
      }
    },
    close() { index = null; },
  };
}

const makers = {
  quiverdb: () => quiverdbEngine('none'), 'quiverdb-int8': () => quiverdbEngine('int8'), 'quiverdb-rabitq': () => quiverdbEngine('rabitq'),
  'usearch-f32': () => usearchEngine('f32'), 'usearch-i8': () => usearchEngine('i8'), hnswlib: hnswlibEngine,
};

// ---- measurement

function timedPass(e, ef, res) {
  let count = 0, elapsed = 0;
  const t0 = performance.now(), c0 = process.cpuUsage();
  do {
    e.runPass(ef, res);
    count += nq;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < minTime);
  return { wall: count / elapsed, cpu: count / cpuSeconds(process.cpuUsage(c0)) };
}

async function sweep(engines, truth, phase) {
  const res = new Int32Array(nq * K);
  log(`${phase}: ef ` + engines.map((e) => `${e.name} recall qps/cpu`).join(' | '));
  for (const e of engines) e.info[phase] = { curve: [] };
  for (const ef of efs) {
    for (const e of engines) {
      await e.setEf?.(ef);
      res.fill(-1);
      e.runPass(ef, res);
      e.info[phase].curve.push({ ef, recall: recallAtK(res, K, truth.ids, truth.k, K, nq), cpuRuns: [], wallRuns: [] });
    }
    for (let r = 0; r < reps; r++)
      for (const e of engines) {
        await e.setEf?.(ef);
        const t = timedPass(e, ef, res);
        e.info[phase].curve.at(-1).cpuRuns.push(t.cpu);
        e.info[phase].curve.at(-1).wallRuns.push(t.wall);
      }
    for (const e of engines) {
      const p = e.info[phase].curve.at(-1);
      p.qps = median(p.cpuRuns);
      p.wallQps = median(p.wallRuns);
    }
    log(`${phase}: ${String(ef).padStart(4)} ` + engines.map((e) => {
      const p = e.info[phase].curve.at(-1);
      return `${e.name} ${p.recall.toFixed(4)} ${p.qps.toFixed(0)}`;
    }).join(' | '));
  }
  for (const target of [0.95, 0.99]) {
    const at = Object.fromEntries(engines.map((e) => [e.name, qpsAtRecall(e.info[phase].curve, target)]));
    const best = Math.max(0, ...engines.filter((e) => !e.quiverdb).map((e) => at[e.name].qps ?? 0));
    for (const e of engines) {
      e.info[phase][`qps${Math.round(target * 100)}`] = at[e.name];
      if (e.quiverdb && best > 0 && at[e.name].qps) e.info[phase][`ratio${Math.round(target * 100)}`] = at[e.name].qps / best;
    }
    log(`${phase}: QPS per CPU-second at recall ${target}: ` + engines.map((e) => `${e.name} ${at[e.name].qps?.toFixed(0) ?? 'n/a'}` +
      (e.info[phase][`ratio${Math.round(target * 100)}`] ? ` (x${e.info[phase][`ratio${Math.round(target * 100)}`].toFixed(2)} best peer)` : '')).join(', '));
  }
}

const results = { date: new Date().toISOString(), n, dim, metric, normalized: args.norm, k: K, M, efConstruction: EFC, threads,
  replaced: nReplace, simd: q.simdLevel(), node: process.version, nq, engines: {} };
const engines = [];
for (const name of args.engines.split(',')) {
  if (!makers[name]) throw new RangeError(`unknown engine ${name}: expected one of ${Object.keys(makers).join(', ')}`);
  const e = makers[name]();
  e.key = name;
  e.info = results.engines[e.name] = {};
  if ((args['single-thread'] || singleThreadEngines) && wants(singleThreadEngines, e) && !e.singleThreadOnly) {
    const t1 = timed(() => e.build(1));
    e.info.build1 = { seconds: t1.seconds, cpuSeconds: t1.cpuSeconds };
    log(`${e.name}: 1-thread build ${t1.seconds.toFixed(1)} s`);
    e.close();
    globalThis.gc?.();
  }
  const buildKey = e.singleThreadOnly ? 'build1' : `build${threads}`;
  const cached = args['peer-cache'] && e.cacheKey ? join(args['peer-cache'], e.cacheKey) : null;
  const file = join(work, `${e.name}.index`);
  let tb, mem = null, ts = null;
  if (cached && existsSync(`${cached}.json`)) {
    const c = JSON.parse(readFileSync(`${cached}.json`, 'utf8'));
    tb = c.build;
    e.info[buildKey] = { ...c.build, cachedFrom: c.date };
    copyFileSync(`${cached}.index`, file);
    log(`${e.name}: opening the index cached by the run of ${c.date} (${cached}.index)`);
  } else {
    tb = timed(() => e.build(e.singleThreadOnly ? 1 : threads));
    e.info[buildKey] = { seconds: tb.seconds, cpuSeconds: tb.cpuSeconds };
    mem = e.memoryBytes();
    ts = await timedAsync(() => e.save(file));
    if (cached) {
      mkdirSync(args['peer-cache'], { recursive: true });
      copyFileSync(file, `${cached}.index.tmp`);
      renameSync(`${cached}.index.tmp`, `${cached}.index`);
      writeFileSync(`${cached}.json`, JSON.stringify({ date: results.date, build: { seconds: tb.seconds, cpuSeconds: tb.cpuSeconds } }));
    }
  }
  const fileBytes = statSync(file).size;
  const to = await timedAsync(() => e.open(file)); // the searches below run on the reopened index
  Object.assign(e.info, { memoryBytesPerVector: mem ? mem / n : null, fileBytesPerVector: fileBytes / n,
    saveSeconds: ts?.seconds ?? null, openSeconds: to.seconds });
  log(`${e.name}: build ${tb.seconds.toFixed(1)} s (${e.singleThreadOnly ? 1 : threads} threads, ${tb.cpuSeconds.toFixed(1)} CPU s` +
    `${e.info[buildKey].cachedFrom ? `, measured ${e.info[buildKey].cachedFrom}` : ''}), ` +
    `${mem ? `${(mem / n).toFixed(0)} B/vector in memory, ` : ''}${(fileBytes / n).toFixed(0)} B/vector saved, ` +
    `${ts ? `save ${ts.seconds.toFixed(2)} s, ` : ''}open ${to.seconds.toFixed(2)} s`);
  rmSync(file, { force: true });
  engines.push(e);
}
for (const e of engines)
  for (const [peer, p] of Object.entries(results.engines))
    if (e.quiverdb && !engines.find((x) => x.name === peer)?.quiverdb && p.build1 && e.info.build1)
      e.info[`build1VsPeer_${peer}`] = e.info.build1.seconds / p.build1.seconds;

await sweep(engines, truth0, 'fresh');

const replacing = engines.filter((e) => wants(replaceEngines, e));
if (nReplace > 0 && replacing.length > 0) {
  log(`replacing ${nReplace} vectors`);
  for (const e of engines) if (!replacing.includes(e)) e.close();
  globalThis.gc?.();
  for (const e of replacing) {
    const t = timed(() => e.replace(replacedRows, replacements, threads));
    e.info.replace = { seconds: t.seconds, cpuSeconds: t.cpuSeconds, threads: e.singleThreadOnly ? 1 : threads };
    log(`${e.name}: replaced in ${t.seconds.toFixed(1)} s (${t.cpuSeconds.toFixed(1)} CPU s)`);
  }
  const after = Float32Array.from(base);
  for (let i = 0; i < nReplace; i++) after.set(replacements.subarray(i * dim, (i + 1) * dim), replacedRows[i] * dim);
  const truth1 = await computeGroundTruth({ base: after, n, dim, queries: g.queries, nq, metric, k: K, threads });
  await sweep(replacing, truth1, 'replaced');
}

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2));
const f0 = (x) => (x == null ? 'n/a' : x.toFixed(0));
const f1 = (x) => (x == null ? 'n/a' : x.toFixed(1));
const f2 = (x) => (x == null ? '' : `x${x.toFixed(2)}`);
const lines = [`# HNSW at ${n.toLocaleString('en')} x ${dim} (${metric}${args.norm ? ', unit vectors' : ''})`, '',
  `${results.date}, SIMD ${results.simd}, ${threads} threads for builds, one thread and one query per call for searches; ` +
  `k ${K}, M ${M}, efConstruction ${EFC}, ${nq} queries. QPS per CPU-second, medians of ${reps}.`, '',
  `Command: \`node bench/hnsw-scale.mjs ${process.argv.slice(2).join(' ')}\``, '',
  '| engine | build s (threads) | build s (1 thread) | B/vector in memory | B/vector saved | open s | QPS @0.95 | QPS @0.99 | replace s | QPS @0.95 after | QPS @0.99 after |',
  '|---|---|---|---|---|---|---|---|---|---|---|'];
for (const e of engines) {
  const i = e.info;
  const cachedNote = (b) => (b?.cachedFrom ? ` (cached index; build measured ${b.cachedFrom.slice(0, 10)})` : '');
  lines.push(`| ${e.name} | ${f1(i[`build${threads}`]?.seconds)} | ${f1(i.build1?.seconds)}${cachedNote(i.build1)} | ${f0(i.memoryBytesPerVector)} | ` +
    `${f0(i.fileBytesPerVector)} | ${i.openSeconds.toFixed(2)} | ${f0(i.fresh.qps95.qps)} ${f2(i.fresh.ratio95)} | ` +
    `${f0(i.fresh.qps99.qps)} ${f2(i.fresh.ratio99)} | ${f1(i.replace?.seconds)} | ${f0(i.replaced?.qps95.qps)} ${f2(i.replaced?.ratio95)} | ` +
    `${f0(i.replaced?.qps99.qps)} ${f2(i.replaced?.ratio99)} |`);
}
lines.push('', 'Ratios: quiverdb over the best peer at that recall. Recall@10 / QPS per ef:', '');
for (const phase of ['fresh', 'replaced']) {
  const shown = engines.filter((e) => e.info[phase]);
  if (shown.length === 0) continue;
  lines.push(`${phase}:`, '', `| ef | ${shown.map((e) => e.name).join(' | ')} |`, `|---|${shown.map(() => '---').join('|')}|`);
  efs.forEach((ef, j) => lines.push(`| ${ef} | ${shown.map((e) => {
    const p = e.info[phase].curve[j];
    return `${p.recall.toFixed(4)} / ${p.qps.toFixed(0)}`;
  }).join(' | ')} |`));
  lines.push('');
}
writeFileSync(join(out, 'report.md'), lines.join('\n'));
log(`wrote ${out}/report.md and results.json`);
