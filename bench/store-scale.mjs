// Scale benchmark of a durable VectorStore (issue 11): bulk upsert, close (snapshot),
// reopen (in a child process, so its peak RSS is the reopen's alone), queries as soon
// as open resolves, and a crash-recovery reopen that replays the whole log.
//
//   node --max-old-space-size=16384 bench/store-scale.mjs [--n 2000000] [--dim 384] [--meta-bytes 1024]
//        [--index flat|hnsw] [--queries 200] [--batch 5000] [--replay-n 200000] [--reopens 1]
//        [--snapshot-bytes <bytes>|default] [--dir /tmp/quiver-scale] [--name <run name>] [--keep]
//
// Records: id `r<i>`, a vector (flat: uniform in [-1, 1)^dim, normalised; hnsw: a seeded mixture of
// low-rank clusters, normalised, so recall means something), metadata { text: <meta-bytes chars>,
// doc: i % 1000, lang: 'en' }, generated batch by batch from a seeded RNG (same records at any n).
// Event-loop stalls are measured two ways: perf_hooks monitorEventLoopDelay({ resolution: 10 }) max,
// and the largest gap between ticks of a setInterval(5 ms) (minus the 5 ms). CPU time is
// process.cpuUsage() (user + system) of the process doing the work; the machine may be shared.
// Writes bench/reports/store-scale/<name>.json and appends a section to report.md there.
// (imports ../dist: run `npx tsup --silent` first; QUIVER_DIST=path/to/index.js for another build)
import { spawn, execFileSync } from 'node:child_process';
import {
  appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from './lib/rng.mjs';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '2000000' },
    dim: { type: 'string', default: '384' },
    'meta-bytes': { type: 'string', default: '1024' },
    index: { type: 'string', default: 'flat' },
    queries: { type: 'string', default: '200' },
    batch: { type: 'string', default: '5000' },
    'replay-n': { type: 'string', default: '200000' },
    reopens: { type: 'string', default: '1' },
    'snapshot-bytes': { type: 'string', default: 'default' },
    dir: { type: 'string', default: '/tmp/quiver-scale' },
    name: { type: 'string' },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string', default: '11' },
    // internal: the reopen child
    // reopen an existing store (kept with --keep) --reopens times, without loading it again
    'reopen-dir': { type: 'string' },
    'child-reopen': { type: 'string' },
    'child-out': { type: 'string' },
    'gt-file': { type: 'string' },
  },
});

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '..');
const dist = process.env.QUIVER_DIST ? pathToFileURL(resolve(process.env.QUIVER_DIST)).href : new URL('../dist/index.js', import.meta.url).href;
const { VectorStore, FlatIndex } = await import(dist);

const N = Number(args.n);
const DIM = Number(args.dim);
const META_BYTES = Number(args['meta-bytes']);
const INDEX = args.index;
const NQ = Number(args.queries);
const BATCH = Number(args.batch);
const REPLAY_N = Number(args['replay-n']);
const SEED = Number(args.seed);
const K = 10;
if (!['flat', 'hnsw'].includes(INDEX)) throw new RangeError(`--index: flat or hnsw, got ${INDEX}`);

const now = () => performance.now();
const MB = 1e6;
const cpuMs = (c) => (c.user + c.system) / 1000;

// ---------- data ----------

const WORDS = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore ' +
  'magna aliqua vector store snapshot replay index graph query filter record metadata durable event loop').split(' ');
let textPool;
/** A pool of random words; each record's text is a slice of it at a random offset. */
function pool() {
  if (textPool) return textPool;
  const rng = seededRandom(SEED ^ 0x5eed);
  const parts = [];
  let len = 0;
  while (len < (1 << 22) + META_BYTES) {
    const w = WORDS[Math.floor(rng.uniform() * WORDS.length)];
    parts.push(w);
    len += w.length + 1;
  }
  return (textPool = parts.join(' '));
}

const CLUSTERS = 256;
const RANK = 16;
let mixture;
/** Cluster centres and low-rank bases of the HNSW mixture (fixed by the seed). */
function mixtureParams() {
  if (mixture) return mixture;
  const rng = seededRandom(SEED ^ 0xc1);
  const centers = new Float32Array(CLUSTERS * DIM);
  for (let i = 0; i < centers.length; i++) centers[i] = rng.normal() / Math.sqrt(DIM) * 1.0;
  const bases = new Float32Array(CLUSTERS * RANK * DIM);
  for (let c = 0; c < CLUSTERS; c++) for (let j = 0; j < RANK; j++) {
    const s = 0.6 * (j + 1) ** -0.5 / Math.sqrt(DIM);
    for (let d = 0; d < DIM; d++) bases[(c * RANK + j) * DIM + d] = rng.normal() * s;
  }
  return (mixture = { centers, bases });
}

/** Writes `count` vectors into out (normalised); stream selects the seed. */
function fillVectors(out, count, rng) {
  if (INDEX === 'hnsw') {
    const { centers, bases } = mixtureParams();
    const coef = new Float32Array(RANK);
    const noise = 0.08 / Math.sqrt(DIM) * Math.sqrt(12);
    for (let r = 0; r < count; r++) {
      const v = out.subarray(r * DIM, (r + 1) * DIM);
      const c = Math.floor(rng.uniform() * CLUSTERS);
      v.set(centers.subarray(c * DIM, (c + 1) * DIM));
      for (let j = 0; j < RANK; j++) coef[j] = rng.normal();
      for (let j = 0; j < RANK; j++) {
        const b = bases.subarray((c * RANK + j) * DIM, (c * RANK + j + 1) * DIM);
        const a = coef[j];
        for (let d = 0; d < DIM; d++) v[d] += a * b[d];
      }
      for (let d = 0; d < DIM; d++) v[d] += (rng.uniform() - 0.5) * noise;
    }
  } else {
    for (let i = 0; i < count * DIM; i++) out[i] = rng.uniform() * 2 - 1;
  }
  for (let r = 0; r < count; r++) {
    let s = 0;
    for (let d = r * DIM; d < (r + 1) * DIM; d++) s += out[d] * out[d];
    const inv = 1 / Math.sqrt(s);
    for (let d = r * DIM; d < (r + 1) * DIM; d++) out[d] *= inv;
  }
}

/** Batch b: records [b*BATCH, ...), the same at any --n. */
function makeBatch(b, count) {
  const rng = seededRandom((SEED * 1000003 + b) >>> 0);
  const first = b * BATCH;
  const ids = new Array(count);
  const metadata = new Array(count);
  const vectors = new Float32Array(count * DIM);
  fillVectors(vectors, count, rng);
  const p = pool();
  for (let r = 0; r < count; r++) {
    const i = first + r;
    ids[r] = `r${i}`;
    const at = Math.floor(rng.uniform() * (p.length - META_BYTES));
    metadata[r] = { text: p.slice(at, at + META_BYTES), doc: i % 1000, lang: 'en' };
  }
  return { ids, vectors, metadata };
}

/** Bytes of one record's metadata as JSON (the text is plain ASCII). */
const metaJsonBytes = (i) => JSON.stringify({ text: '', doc: i % 1000, lang: 'en' }).length + META_BYTES;

function makeQueries(count) {
  const rng = seededRandom((SEED * 7919 + 0xabcdef) >>> 0);
  const q = new Float32Array(count * DIM);
  fillVectors(q, count, rng);
  return q;
}

// ---------- probes ----------

/** CPU time (ms) the main JS thread has run, from the scheduler (robust to a shared machine). */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const mainThreadCpuMs = () => { try { return Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) / 1e6; } catch { return NaN; } };

/**
 * Largest event-loop stall, by monitorEventLoopDelay max and by a 5 ms setInterval's largest gap.
 * For every gap the main thread's own CPU time in it is read too (schedstat): on a shared machine
 * a gap can be the thread waiting for a core; its CPU time is what it would have blocked on an idle one.
 */
class StallProbe {
  #h = monitorEventLoopDelay({ resolution: 10 });
  #timer;
  #last = 0;
  #lastCpu = 0;
  #t0 = 0;
  maxGap = 0;
  maxGapCpu = 0; // main-thread CPU ms inside the largest gap
  maxGapAt = 0; // ms after start() where the largest gap ended
  maxCpuGap = 0; // the largest main-thread CPU ms inside any gap
  gaps50 = 0; // ticks late by more than 50 ms
  cpuGaps50 = 0; // gaps with more than 50 ms of main-thread CPU
  #tick() {
    const t = now();
    const cpu = mainThreadCpuMs();
    const gap = t - this.#last - 5;
    const gapCpu = cpu - this.#lastCpu;
    if (gap > this.maxGap) { this.maxGap = gap; this.maxGapCpu = gapCpu; this.maxGapAt = t - this.#t0; }
    if (gapCpu > this.maxCpuGap) this.maxCpuGap = gapCpu;
    if (gap > 50) this.gaps50++;
    if (gapCpu > 50) this.cpuGaps50++;
    this.#last = t;
    this.#lastCpu = cpu;
  }
  start() {
    this.#h.reset();
    this.#h.enable();
    this.#t0 = this.#last = now();
    this.#lastCpu = mainThreadCpuMs();
    this.#timer = setInterval(() => this.#tick(), 5);
    return this;
  }
  /** Counts the gap up to now (a stall still in progress when the phase ends). */
  stop() {
    this.#tick();
    clearInterval(this.#timer);
    this.#h.disable();
    return {
      eldMaxMs: this.#h.max / 1e6, eldP99Ms: this.#h.percentile(99) / 1e6, intervalMaxGapMs: Math.max(0, this.maxGap),
      intervalMaxGapCpuMs: this.maxGapCpu, intervalMaxGapAtMs: this.maxGapAt, maxGapMainThreadCpuMs: this.maxCpuGap,
      gapsOver50ms: this.gaps50, cpuGapsOver50ms: this.cpuGaps50,
    };
  }
}

/** Samples RSS every 20 ms. */
class RssSampler {
  peak = 0;
  #timer;
  start() {
    this.peak = process.memoryUsage.rss();
    this.#timer = setInterval(() => { const r = process.memoryUsage.rss(); if (r > this.peak) this.peak = r; }, 20);
    return this;
  }
  stop() { clearInterval(this.#timer); const r = process.memoryUsage.rss(); if (r > this.peak) this.peak = r; return this.peak; }
}

function vmHwm() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function dirBytes(dir, filter = () => true) {
  let total = 0;
  const files = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!filter(e.name)) continue;
      for (const f of readdirSync(p)) { const s = statSync(join(p, f)).size; files[`${e.name}/${f}`] = s; total += s; }
    } else if (filter(e.name)) { const s = statSync(p).size; files[e.name] = s; total += s; }
  }
  return { total, files };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- child: reopen ----------

if (args['child-reopen']) {
  const dir = args['child-reopen'];
  const out = {};
  const queries = makeQueries(NQ + 1);
  const stall = new StallProbe().start();
  const rss = new RssSampler().start();
  const mem0 = process.memoryUsage();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuMs();
  const t0 = now();
  const store = await VectorStore.open(dir);
  out.openMs = now() - t0;
  out.openCpuMs = cpuMs(process.cpuUsage(c0));
  out.openMainThreadCpuMs = mainThreadCpuMs() - m0;
  out.openStall = stall.stop();
  out.openPeakRssSampled = rss.stop();
  out.openVmHWM = vmHwm();
  out.rssAtOpen = process.memoryUsage.rss();
  out.baselineRss = mem0.rss;
  out.size = store.size;
  out.activeIndex = store.activeIndex;

  // Queries at once, while the field indexes are still being rebuilt in the background.
  const after = new StallProbe().start();
  const rss2 = new RssSampler().start();
  let t = now();
  const first = await store.query(queries.subarray(0, DIM), { topK: K });
  out.firstQueryMs = now() - t;
  out.firstQueryHits = first.length;
  const lat = [];
  const results = [];
  const cq = process.cpuUsage();
  const turn = () => new Promise((r) => setImmediate(r));
  for (let i = 1; i <= NQ; i++) {
    await turn(); // a query resolves in a microtask: without a turn between them the loop itself would block timers
    t = now();
    const hits = await store.query(queries.subarray(i * DIM, (i + 1) * DIM), { topK: K });
    lat.push(now() - t);
    results.push(hits.map((h) => h.id));
  }
  out.queryCpuMs = cpuMs(process.cpuUsage(cq));
  out.queriesDoneAfterOpenMs = now() - t0 - out.openMs;
  lat.sort((a, b) => a - b);
  out.queryP50Ms = pct(lat, 50);
  out.queryP99Ms = pct(lat, 99);
  out.queryMaxMs = lat[lat.length - 1];
  if (args['gt-file'] && existsSync(args['gt-file'])) {
    const gt = JSON.parse(readFileSync(args['gt-file'], 'utf8'));
    let found = 0, total = 0;
    for (let i = 0; i < NQ && i < gt.length; i++) {
      const want = new Set(gt[i + 1]);
      for (const id of results[i]) if (want.has(id)) found++;
      total += want.size;
    }
    out.recallAt10 = found / total;
  }

  // The field-index build runs in slices after open; wait until the process goes idle
  // (CPU under 10% over 500 ms), then measure memory and filtered queries.
  const ts = now();
  for (;;) {
    const c = process.cpuUsage();
    const w = now();
    await sleep(500);
    if (cpuMs(process.cpuUsage(c)) < 0.1 * (now() - w)) break;
    if (now() - ts > 600_000) { out.settleTimedOut = true; break; }
  }
  out.settleMsAfterQueries = now() - ts;
  out.settledAfterOpenMs = now() - t0 - out.openMs;
  out.rssSettled = process.memoryUsage.rss();
  // Stop here: the forced gc() below is the benchmark's own, not the store's.
  out.afterOpenStall = after.stop();
  out.afterOpenPeakRssSampled = rss2.stop();
  if (globalThis.gc) { globalThis.gc(); await sleep(200); globalThis.gc(); }
  const m = process.memoryUsage();
  out.rssFinal = m.rss;
  out.heapUsed = m.heapUsed;
  out.heapTotal = m.heapTotal;
  out.external = m.external;
  out.arrayBuffers = m.arrayBuffers;

  const flat = [];
  const filterProbe = new StallProbe().start();
  t = now();
  const fcount = await store.count({ doc: 7 });
  out.filterCountMs = now() - t;
  out.filterCount = fcount;
  for (let i = 1; i <= Math.min(NQ, 100); i++) {
    await turn();
    t = now();
    const hits = await store.query(queries.subarray(i * DIM, (i + 1) * DIM), { topK: K, filter: { doc: 7 } });
    flat.push(now() - t);
    if (hits.some((h) => h.metadata.doc !== 7)) out.filterWrong = (out.filterWrong ?? 0) + 1;
  }
  flat.sort((a, b) => a - b);
  out.filteredP50Ms = pct(flat, 50);
  out.filteredP99Ms = pct(flat, 99);
  out.filterStall = filterProbe.stop();
  out.endVmHWM = vmHwm();
  const tc = now();
  await store.close(); // nothing logged: no snapshot
  out.closeUnchangedMs = now() - tc;
  writeFileSync(args['child-out'], JSON.stringify(out));
  process.exit(0);
}

// ---------- parent ----------

function runChild(dir, label) {
  const outFile = join(args.dir, `child-${process.pid}-${label}.json`);
  const childArgs = [
    `--max-old-space-size=${process.env.QUIVER_SCALE_HEAP ?? 16384}`, '--expose-gc', fileURLToPath(import.meta.url),
    '--child-reopen', dir, '--child-out', outFile, '--dim', String(DIM), '--index', INDEX, '--queries', String(NQ),
    '--seed', String(SEED), '--meta-bytes', String(META_BYTES),
  ];
  if (INDEX === 'hnsw') childArgs.push('--gt-file', join(args.dir, `gt-${process.pid}.json`));
  return new Promise((res, rej) => {
    const c = spawn(process.execPath, childArgs, { stdio: 'inherit' });
    c.on('exit', (code, signal) => {
      if (code !== 0) return rej(new Error(`reopen child (${label}) exited with ${code ?? signal}`));
      const r = JSON.parse(readFileSync(outFile, 'utf8'));
      rmSync(outFile, { force: true });
      res(r);
    });
  });
}

function gitInfo() {
  const git = (...a) => { try { return execFileSync('git', a, { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return '?'; } };
  // A copy of a build (QUIVER_DIST=<copy>/dist/index.js) may name its commit in <copy>/commit.txt.
  const distCommit = process.env.QUIVER_DIST ? (() => { try { return readFileSync(join(dirname(dirname(resolve(process.env.QUIVER_DIST))), 'commit.txt'), 'utf8').trim(); } catch { return undefined; } })() : undefined;
  return { distCommit, nativePath: process.env.QUIVER_NATIVE_PATH, commit: git('rev-parse', '--short', 'HEAD'), subject: git('log', '-1', '--format=%s').slice(0, 100), dirtySrc: git('status', '--porcelain', '--', 'src', 'native').split('\n').filter(Boolean) };
}

/** Bulk-loads `n` records into a new store at `dir`. */
async function load(dir, n, openOptions, { groundTruth } = {}) {
  rmSync(dir, { recursive: true, force: true });
  const store = await VectorStore.open(dir, { dim: DIM, metric: 'cosine', index: { type: INDEX }, ...openOptions });
  const batches = Math.ceil(n / BATCH);
  let wall = 0, cpu = 0, maxBatchMs = 0, dataBytes = 0, peakRss = 0;
  const probe = { eldMaxMs: 0, intervalMaxGapMs: 0, intervalMaxGapCpuMs: 0, maxGapMainThreadCpuMs: 0, gapsOver50ms: 0, cpuGapsOver50ms: 0 };
  const lastStart = now();
  let nextReport = 0;
  const batchMs = [];
  for (let b = 0; b < batches; b++) {
    const count = Math.min(BATCH, n - b * BATCH);
    const batch = makeBatch(b, count);
    groundTruth?.add(Float64Array.from({ length: count }, (_, r) => b * BATCH + r), batch.vectors);
    for (let r = 0; r < count; r++) dataBytes += metaJsonBytes(b * BATCH + r);
    dataBytes += count * DIM * 4;
    const stall = new StallProbe().start();
    const c = process.cpuUsage();
    const t = now();
    await store.upsert(batch);
    const dt = now() - t;
    cpu += cpuMs(process.cpuUsage(c));
    const s = stall.stop();
    probe.eldMaxMs = Math.max(probe.eldMaxMs, s.eldMaxMs);
    if (s.intervalMaxGapMs > probe.intervalMaxGapMs) { probe.intervalMaxGapMs = s.intervalMaxGapMs; probe.intervalMaxGapCpuMs = s.intervalMaxGapCpuMs; }
    probe.maxGapMainThreadCpuMs = Math.max(probe.maxGapMainThreadCpuMs, s.maxGapMainThreadCpuMs);
    probe.gapsOver50ms += s.gapsOver50ms;
    probe.cpuGapsOver50ms += s.cpuGapsOver50ms;
    wall += dt;
    batchMs.push(dt);
    if (dt > maxBatchMs) maxBatchMs = dt;
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
    if ((b + 1) * BATCH >= nextReport || b === batches - 1) {
      const gens = readdirSync(dir).filter((f) => /^snapshot-\d+$/.test(f));
      console.error(`  ${Math.min(n, (b + 1) * BATCH)}/${n} records, ${(Math.min(n, (b + 1) * BATCH) / (wall / 1000)).toFixed(0)} rec/s in upsert, ` +
        `last batch ${dt.toFixed(0)} ms, max ${maxBatchMs.toFixed(0)} ms, rss ${(rss / 2 ** 30).toFixed(2)} GiB, ${gens.join(',') || 'no snapshot'}, ${((now() - lastStart) / 1000).toFixed(0)} s`);
      nextReport += Math.max(BATCH, Math.ceil(n / 20 / BATCH) * BATCH);
    }
  }
  const sorted = [...batchMs].sort((a, b) => a - b);
  const gens = readdirSync(dir).filter((f) => /^snapshot-\d+$/.test(f)).map((f) => Number(f.slice(9)));
  return {
    store,
    stats: {
      n, batch: BATCH, wallMs: wall, cpuMs: cpu, recordsPerS: n / (wall / 1000), MBPerS: dataBytes / MB / (wall / 1000), dataMB: dataBytes / MB,
      batchP50Ms: pct(sorted, 50), batchP99Ms: pct(sorted, 99), batchMaxMs: maxBatchMs, stall: probe,
      backgroundSnapshots: gens.length ? Math.max(...gens) : 0, writerPeakRss: peakRss,
      logBytes: dirBytes(dir, (f) => f.startsWith('wal-')).total,
    },
  };
}

async function closeMeasured(store, dir) {
  const stall = new StallProbe().start();
  const rss = new RssSampler().start();
  const c = process.cpuUsage();
  const t = now();
  await store.close();
  const ms = now() - t;
  const out = { closeMs: ms, closeCpuMs: cpuMs(process.cpuUsage(c)), stall: stall.stop(), peakRss: rss.stop() };
  const snap = dirBytes(dir, (f) => f.startsWith('snapshot-'));
  out.snapshotBytes = snap.total;
  out.snapshotFiles = snap.files;
  out.snapshotMBPerS = snap.total / MB / (ms / 1000);
  return out;
}

const stallText = (s) => `eld max ${fmt(s.eldMaxMs)} ms; largest 5 ms-interval gap ${fmt(s.intervalMaxGapMs)} ms (main thread on CPU ${fmt(s.intervalMaxGapCpuMs)} ms of it); ` +
  `most main-thread CPU in one gap ${fmt(s.maxGapMainThreadCpuMs)} ms; gaps > 50 ms: ${s.gapsOver50ms} (${s.cpuGapsOver50ms} with > 50 ms CPU)`;
const fmt = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
const gib = (b) => `${(b / 2 ** 30).toFixed(2)} GiB`;

async function main() {
  const name = args.name ?? `${INDEX}-${N}x${DIM}-meta${META_BYTES}`;
  const root = args.dir;
  mkdirSync(root, { recursive: true });
  const dir = join(root, `${name}-store`);
  const snapshotBytes = args['snapshot-bytes'] === 'default' ? undefined : Number(args['snapshot-bytes']);
  const command = `node ${process.execArgv.join(' ')} bench/store-scale.mjs ${process.argv.slice(2).join(' ')}`.replace(/\s+/g, ' ');
  const result = {
    name, command, date: new Date().toISOString(), git: gitInfo(), node: process.version,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: totalmem() / 2 ** 30, loadavgStart: loadavg() },
    params: { n: N, dim: DIM, metaBytes: META_BYTES, index: INDEX, queries: NQ, batch: BATCH, replayN: REPLAY_N, snapshotBytes: snapshotBytes ?? 'default (64 MiB)', seed: SEED },
  };
  console.error(`store-scale ${name}: ${command} (commit ${result.git.commit}${result.git.dirtySrc.length ? `, src dirty: ${result.git.dirtySrc.length} files` : ''})`);

  if (args['reopen-dir']) {
    result.reopenOnly = args['reopen-dir'];
    result.reopen = [];
    for (let i = 0; i < Number(args.reopens); i++) {
      console.error(`reopen ${i + 1} of ${args['reopen-dir']} (child process)`);
      result.reopen.push(await runChild(args['reopen-dir'], `reopen${i}`));
    }
    result.machine.loadavgEnd = loadavg();
    result.problems = result.reopen.filter((r) => r.size !== N).map((r) => `reopen: size ${r.size}, expected ${N}`);
    return report(result);
  }

  // 1. bulk load
  const gt = INDEX === 'hnsw' ? new FlatIndex({ dim: DIM, metric: 'cosine' }) : undefined;
  gt?.reserve(N);
  console.error(`1. bulk upsert of ${N} records into ${dir}`);
  const { store, stats } = await load(dir, N, snapshotBytes === undefined ? {} : { snapshotBytes }, { groundTruth: gt });
  result.load = stats;
  result.load.activeIndex = store.activeIndex;
  result.load.size = store.size;
  if (gt) {
    const q = makeQueries(NQ + 1);
    const r = gt.searchBatch(q, K);
    const rows = [];
    for (let i = 0; i < NQ + 1; i++) rows.push(Array.from(r.labels.subarray(i * r.k, (i + 1) * r.k), (l) => `r${l}`));
    writeFileSync(join(root, `gt-${process.pid}.json`), JSON.stringify(rows));
  }

  // 2. close (snapshot)
  console.error('2. close (writes the snapshot)');
  result.close = await closeMeasured(store, dir);
  result.close.logBytesBefore = stats.logBytes;
  console.error(`   close ${fmt(result.close.closeMs, 0)} ms, snapshot ${gib(result.close.snapshotBytes)}, stall ${fmt(result.close.stall.eldMaxMs)} / ${fmt(result.close.stall.intervalMaxGapMs)} ms`);
  globalThis.gc?.();

  // 3./4. reopen + queries, in a child process
  result.reopen = [];
  for (let i = 0; i < Number(args.reopens); i++) {
    console.error(`3. reopen ${i + 1} (child process)`);
    const r = await runChild(dir, `reopen${i}`);
    result.reopen.push(r);
    console.error(`   open ${fmt(r.openMs, 0)} ms, size ${r.size}, peak ${gib(r.openVmHWM)}, final ${gib(r.rssFinal)}`);
  }
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
  rmSync(join(root, `gt-${process.pid}.json`), { force: true });

  // 5. crash recovery: the log holds every write, no snapshot
  if (REPLAY_N > 0) {
    const rdir = join(root, `${name}-replay-src`);
    const copy = join(root, `${name}-replay-copy`);
    console.error(`5. crash-recovery store: ${REPLAY_N} records with snapshotBytes Infinity, copied before close`);
    const { store: rs, stats: rstats } = await load(rdir, REPLAY_N, { snapshotBytes: Infinity });
    rmSync(copy, { recursive: true, force: true });
    cpSync(rdir, copy, { recursive: true });
    const snaps = readdirSync(copy).filter((f) => f.startsWith('snapshot-'));
    await rs.close();
    rmSync(rdir, { recursive: true, force: true });
    const r = await runChild(copy, 'replay');
    result.replay = { n: REPLAY_N, load: rstats, snapshotsInCopy: snaps, logBytes: rstats.logBytes, ...r };
    console.error(`   replay open ${fmt(r.openMs, 0)} ms, size ${r.size}, stall ${fmt(r.openStall.eldMaxMs)} / ${fmt(r.openStall.intervalMaxGapMs)} ms`);
    rmSync(copy, { recursive: true, force: true });
  }
  result.machine.loadavgEnd = loadavg();

  // checks
  const problems = [];
  for (const r of result.reopen) if (r.size !== N) problems.push(`reopen: size ${r.size}, expected ${N}`);
  if (result.replay && result.replay.size !== REPLAY_N) problems.push(`replay: size ${result.replay.size}, expected ${REPLAY_N}`);
  for (const r of [...result.reopen, ...(result.replay ? [result.replay] : [])]) {
    const want = r.size > 7 ? Math.floor((r.size - 8) / 1000) + 1 : 0;
    if (r.filterCount !== want) problems.push(`filter count ${r.filterCount}, expected ${want}`);
    if (r.filterWrong) problems.push(`${r.filterWrong} filtered queries returned a record with doc != 7`);
    if (r.firstQueryHits !== K) problems.push(`first query returned ${r.firstQueryHits} hits`);
  }
  result.problems = problems;

  report(result);
}

function report(res) {
  const L = res.load ?? { n: N }, C = res.close;
  const rows = [];
  const row = (what, value, target = '') => rows.push([what, value, target]);
  if (res.reopenOnly) row('reopen only', `existing store ${res.reopenOnly} (no load, no close in this run)`);
  else row('records', `${L.n} x ${DIM} float32, ${META_BYTES} B text metadata, index ${INDEX} (active: ${L.activeIndex})`);
  if (!res.reopenOnly) {
  row('bulk upsert', `${fmt(L.recordsPerS, 0)} records/s, ${fmt(L.MBPerS, 1)} MB/s (${fmt(L.dataMB, 0)} MB in ${fmt(L.wallMs / 1000, 1)} s, CPU ${fmt(L.cpuMs / 1000, 1)} s)`);
  row('upsert batch latency', `p50 ${fmt(L.batchP50Ms, 0)} ms, p99 ${fmt(L.batchP99Ms, 0)} ms, max ${fmt(L.batchMaxMs, 0)} ms; background snapshots during load: ${L.backgroundSnapshots}`);
  row('stall during upserts', stallText(L.stall));
  row('writer peak RSS', gib(L.writerPeakRss));
  row('log before close', `${fmt(C.logBytesBefore / MB, 0)} MB`);
  row('close (snapshot)', `${fmt(C.closeMs / 1000, 2)} s wall, CPU ${fmt(C.closeCpuMs / 1000, 2)} s; snapshot ${fmt(C.snapshotBytes / MB, 0)} MB -> ${fmt(C.snapshotMBPerS, 0)} MB/s`, '>= 500 MB/s');
  row('stall during close', stallText(C.stall), '<= 50 ms');
  }
  res.reopen.forEach((r, i) => {
    const tag = res.reopen.length > 1 ? ` #${i + 1}` : '';
    row(`reopen${tag}`, `${fmt(r.openMs / 1000, 2)} s wall, CPU ${fmt(r.openCpuMs / 1000, 2)} s (main thread ${fmt(r.openMainThreadCpuMs / 1000, 2)} s), size ${r.size}`, DIM === 384 && L.n >= 2e6 && INDEX === 'flat' ? '< 10 s' : '');
    row(`stall during open${tag}`, stallText(r.openStall), '<= 50 ms');
    row(`stall after open${tag} (queries while the field indexes build, until idle)`, stallText(r.afterOpenStall), '<= 50 ms');
    if (r.filterStall) row(`stall during filtered count + queries${tag}`, stallText(r.filterStall), '<= 50 ms');
    row(`peak RSS during open${tag}`, `VmHWM ${gib(r.openVmHWM)}, sampled ${gib(r.openPeakRssSampled)}; whole child VmHWM ${gib(r.endVmHWM)}`);
    row(`RSS once open${tag}`, `${gib(r.rssFinal)} after settle + gc (${gib(r.rssSettled)} before gc, ${gib(r.rssAtOpen)} as open resolved); heap used ${gib(r.heapUsed)}, external ${gib(r.external)}`);
    row(`peak / final${tag}`, `${fmt(r.openVmHWM / r.rssFinal, 2)}x (open VmHWM / RSS once open); whole child ${fmt(r.endVmHWM / r.rssFinal, 2)}x`, '<= 1.3x');
    row(`queries${tag}`, `first ${fmt(r.firstQueryMs, 1)} ms; p50 ${fmt(r.queryP50Ms, 2)} ms, p99 ${fmt(r.queryP99Ms, 2)} ms over ${NQ}${r.recallAt10 !== undefined ? `; recall@10 ${fmt(r.recallAt10, 3)}` : ''}`);
    row(`filtered { doc: 7 }${tag}`, `count ${r.filterCount} in ${fmt(r.filterCountMs, 1)} ms (first filter after settle); query p50 ${fmt(r.filteredP50Ms, 2)} ms, p99 ${fmt(r.filteredP99Ms, 2)} ms`);
    row(`field-index build settled${tag}`, `${fmt(r.settledAfterOpenMs / 1000, 1)} s after open resolved`);
  });
  if (res.replay) {
    const r = res.replay;
    row('crash recovery', `${r.n} records, log ${fmt(r.logBytes / MB, 0)} MB, no snapshot (${r.snapshotsInCopy.length} in the copy): replay open ${fmt(r.openMs / 1000, 2)} s, CPU ${fmt(r.openCpuMs / 1000, 2)} s (main thread ${fmt(r.openMainThreadCpuMs / 1000, 2)} s), size ${r.size}`);
    row('stall during replay', stallText(r.openStall), '<= 50 ms');
    row('replay RSS', `peak ${gib(r.openVmHWM)}, once open ${gib(r.rssFinal)}; first query ${fmt(r.firstQueryMs, 1)} ms`);
  }
  if (res.problems.length) row('PROBLEMS', res.problems.join('; '));

  const table = ['| measure | value | target |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(`\n${table}\n`);
  const outDir = join(ROOT, 'bench/reports/store-scale');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${res.name}.json`), JSON.stringify(res, null, 2) + '\n');
  const md = join(outDir, 'report.md');
  if (!existsSync(md)) writeFileSync(md, '# VectorStore at scale (`bench/store-scale.mjs`)\n\nEach section is one run, appended by the script. The machine is shared with other engineers\' work: wall times can carry their load; CPU times are this process\'s own.\n');
  const g = res.git;
  appendFileSync(md, `\n## ${res.name} (${res.date.slice(0, 16).replace('T', ' ')} UTC)\n\n` +
    (g.distCommit ? `\`QUIVER_DIST=<build of ${g.distCommit}>${g.nativePath ? ` QUIVER_NATIVE_PATH=<addon built from the same commit>` : ''} ${res.command}\` (the code of commit ${g.distCommit}; the working tree was at ${g.commit}); `
      : `\`${res.command}\` at commit ${g.commit} (${g.subject})${g.dirtySrc.length ? `, with uncommitted changes in ${g.dirtySrc.length} src/native files` : ''}; `) +
    `node ${res.node}, ${res.machine.cpus} x ${res.machine.cpu}, ${fmt(res.machine.memGiB, 0)} GiB, load average ${res.machine.loadavgStart.map((x) => x.toFixed(1)).join('/')} at start, ` +
    `${res.machine.loadavgEnd.map((x) => x.toFixed(1)).join('/')} at end. Data in \`${res.name}.json\`.\n\n${table}\n`);
}

await main();
