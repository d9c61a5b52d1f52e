// One writer and N read-only followers of one store, each in its own process (issue 13):
// memory (RSS and PSS from /proc/<pid>/smaps_rollup: the followers map the snapshot's
// vectors, so their pages are shared), query throughput of each follower against the
// writer on the same queries (one process at a time, CPU time), and staleness: the time
// from a write's acknowledgement in the writer to its visibility in each follower (the
// follower's 'refresh' event), over many small writes.
//
//   node bench/followers.mjs [--n 1000000] [--dim 384] [--index flat|hnsw] [--readers 3]
//        [--queries 20] [--writes 300] [--write-gap-ms 20] [--refresh-ms 100]
//        [--dir /tmp/quiver-followers] [--name <run name>]
//
// The store is built once in --dir (uniform random unit vectors, metadata { i }) and reused
// when it already holds --n records of --dim. Times across processes use
// performance.timeOrigin + performance.now() (the wall clock, sub-millisecond).
// Writes bench/reports/followers/<name>.json and appends to report.md there.
// (imports ../dist: run `npm run build:ts` first; QUIVER_DIST=path/to/index.js for another build)
import { fork } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom } from './lib/rng.mjs';
import { median, percentile } from './lib/stats.mjs';

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'parent' },
    n: { type: 'string', default: '1000000' },
    dim: { type: 'string', default: '384' },
    index: { type: 'string', default: 'flat' },
    readers: { type: 'string', default: '3' },
    queries: { type: 'string', default: '20' },
    writes: { type: 'string', default: '300' },
    'write-gap-ms': { type: 'string', default: '20' },
    'refresh-ms': { type: 'string', default: '100' },
    dir: { type: 'string', default: '/tmp/quiver-followers' },
    name: { type: 'string' },
  },
});
const dist = process.env.QUIVER_DIST ? pathToFileURL(resolve(process.env.QUIVER_DIST)).href : new URL('../dist/index.js', import.meta.url).href;
const { VectorStore } = await import(dist);
const N = Number(args.n), DIM = Number(args.dim), DIR = args.dir;
const now = () => performance.timeOrigin + performance.now();

function unitVectors(rand, count, dim) {
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const x = rand() * 2 - 1;
      out[i * dim + d] = x;
      s += x * x;
    }
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dim; d++) out[i * dim + d] *= inv;
  }
  return out;
}

/** Runs the queries, one call each, returning CPU and wall time and the ids found. */
function runQueries(store, queries) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ids = [];
  for (const q of queries) ids.push(store.querySync(Float32Array.from(q), { topK: 10, includeMetadata: false }).map((h) => h.id));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, ids };
}

// ---- children: answer the parent's commands over IPC

async function child(role) {
  const t0 = now();
  const store = role === 'writer'
    ? await VectorStore.open(DIR)
    : await VectorStore.open(DIR, { readOnly: true, refreshIntervalMs: Number(args['refresh-ms']) });
  const openMs = now() - t0;
  const seen = [];
  if (role === 'reader') store.on('refresh', ({ lsn }) => seen.push([lsn, now()]));
  process.on('message', async (msg) => {
    if (msg.cmd === 'queries') process.send({ cmd: 'queries', ...runQueries(store, msg.queries) });
    else if (msg.cmd === 'writes') {
      const acks = [];
      const rand = seededRandom(99).uniform;
      for (let i = 0; i < msg.count; i++) {
        await store.upsert({ id: `w${i}`, vector: unitVectors(rand, 1, DIM), metadata: { i } });
        acks.push([store.lsn, now()]);
        await new Promise((r) => setTimeout(r, msg.gapMs));
      }
      process.send({ cmd: 'writes', acks });
    } else if (msg.cmd === 'seen') process.send({ cmd: 'seen', seen, lsn: store.lsn });
    else if (msg.cmd === 'close') {
      await store.close();
      process.exit(0);
    }
  });
  process.send({ cmd: 'ready', openMs, size: store.size, lsn: store.lsn });
}

// ---- parent

function ask(proc, msg) {
  return new Promise((resolve) => {
    const on = (reply) => {
      if (reply.cmd !== msg.cmd) return;
      proc.off('message', on);
      resolve(reply);
    };
    proc.on('message', on);
    proc.send(msg);
  });
}

function spawnRole(role) {
  const proc = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--role', role], { execArgv: ['--max-old-space-size=16384'] });
  const ready = new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return { proc, ready };
}

function memoryOf(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  const mb = (x) => Math.round(x / 1024);
  return { rssMB: mb(kb('Rss')), pssMB: mb(kb('Pss')), privateMB: mb(kb('Private_Clean') + kb('Private_Dirty')), sharedMB: mb(kb('Shared_Clean') + kb('Shared_Dirty')) };
}

async function buildIfNeeded() {
  const manifest = join(DIR, 'quiver.json');
  if (existsSync(manifest)) {
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    const store = await VectorStore.open(DIR, { readOnly: true, refreshIntervalMs: 0 });
    const size = store.size;
    await store.close();
    if (m.dim === DIM && m.index.type === args.index && size >= N) return { built: false, size };
    throw new Error(`${DIR} holds another store (dim ${m.dim}, ${m.index.type}, ${size} records); pass another --dir`);
  }
  const t0 = performance.now();
  const store = await VectorStore.open(DIR, { dim: DIM, metric: 'cosine', index: { type: args.index }, durability: 'none' });
  const rand = seededRandom(1).uniform;
  const BATCH = 10_000;
  for (let at = 0; at < N; at += BATCH) {
    const n = Math.min(BATCH, N - at);
    const vectors = unitVectors(rand, n, DIM);
    await store.upsert({ ids: Array.from({ length: n }, (_, i) => `r${at + i}`), vectors, metadata: Array.from({ length: n }, (_, i) => ({ i: at + i })) });
  }
  await store.flush();
  await store.close();
  return { built: true, size: N, buildSeconds: (performance.now() - t0) / 1000 };
}

async function parent() {
  const build = await buildIfNeeded();
  console.log(`store: ${build.size} x ${DIM} (${args.index})${build.built ? `, built in ${build.buildSeconds.toFixed(0)} s` : ', reused'}`);
  const writer = spawnRole('writer');
  const w = await writer.ready;
  console.log(`writer open: ${(w.openMs / 1000).toFixed(1)} s`);
  const readers = [];
  for (let i = 0; i < Number(args.readers); i++) readers.push(spawnRole('reader'));
  const opened = await Promise.all(readers.map((r) => r.ready));
  console.log(`readers open: ${opened.map((o) => (o.openMs / 1000).toFixed(1)).join(', ')} s (all ${opened.length} at once)`);

  // Queries: the writer, then each reader, one process at a time.
  const queries = Array.from({ length: Number(args.queries) }, (_, i) => Array.from(unitVectors(seededRandom(1000 + i).uniform, 1, DIM)));
  const all = [{ name: 'writer', proc: writer.proc }, ...readers.map((r, i) => ({ name: `reader ${i + 1}`, proc: r.proc }))];
  const qps = {};
  let writerIds;
  for (const p of all) {
    const runs = [];
    for (let rep = 0; rep < 3; rep++) runs.push(await ask(p.proc, { cmd: 'queries', queries }));
    const cpuMs = median(runs.map((r) => r.cpuMs)), wallMs = median(runs.map((r) => r.wallMs));
    qps[p.name] = { perCpuSecond: queries.length / (cpuMs / 1000), perWallSecond: queries.length / (wallMs / 1000) };
    if (!writerIds) writerIds = runs[0].ids;
    else if (JSON.stringify(runs[0].ids) !== JSON.stringify(writerIds)) throw new Error(`${p.name} answered differently from the writer`);
    console.log(`${p.name}: ${qps[p.name].perCpuSecond.toFixed(1)} queries per CPU-second (${qps[p.name].perWallSecond.toFixed(1)} per wall second)`);
  }

  const memory = {};
  for (const p of all) memory[p.name] = memoryOf(p.proc.pid);
  for (const [name, m] of Object.entries(memory)) console.log(`${name}: RSS ${m.rssMB} MB, PSS ${m.pssMB} MB (private ${m.privateMB} MB, shared ${m.sharedMB} MB)`);

  // Staleness: small writes, each seen by every reader's 'refresh' event.
  const { acks } = await ask(writer.proc, { cmd: 'writes', count: Number(args.writes), gapMs: Number(args['write-gap-ms']) });
  const lastLsn = acks[acks.length - 1][0];
  await new Promise((r) => setTimeout(r, Number(args['refresh-ms']) * 3 + 200));
  const staleness = [];
  for (const r of readers) {
    const { seen } = await ask(r.proc, { cmd: 'seen' });
    for (const [lsn, ackAt] of acks) {
      const visible = seen.find(([l]) => l >= lsn);
      if (!visible) throw new Error(`a reader never saw LSN ${lsn} (last seen ${seen.at(-1)?.[0]}, writer at ${lastLsn})`);
      staleness.push(visible[1] - ackAt);
    }
  }
  const stale = { p50: percentile(staleness, 50), p99: percentile(staleness, 99), max: Math.max(...staleness), samples: staleness.length };
  console.log(`staleness (ack in the writer -> visible in a reader), ${stale.samples} samples: p50 ${stale.p50.toFixed(1)} ms, p99 ${stale.p99.toFixed(1)} ms, max ${stale.max.toFixed(1)} ms (refreshIntervalMs ${args['refresh-ms']})`);
  await Promise.all(all.map((p) => new Promise((resolve) => {
    p.proc.once('exit', resolve);
    p.proc.send({ cmd: 'close' });
  })));

  const name = args.name ?? `${args.index}-${N}x${DIM}-r${args.readers}`;
  const report = {
    name, date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
    args, build, openSeconds: { writer: w.openMs / 1000, readers: opened.map((o) => o.openMs / 1000) }, qps, memory, stalenessMs: stale,
  };
  const out = new URL('./reports/followers/', import.meta.url).pathname;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), JSON.stringify(report, null, 2) + '\n');
  const rows = Object.entries(memory).map(([p, m]) => `| ${p} | ${m.rssMB} | ${m.pssMB} | ${m.privateMB} | ${qps[p].perCpuSecond.toFixed(1)} |`);
  appendFileSync(join(out, 'report.md'), [
    `\n## ${name} (${report.date.slice(0, 10)})`,
    '',
    `\`node bench/followers.mjs ${process.argv.slice(2).join(' ')}\`: ${build.size} x ${DIM}, index ${args.index}, ${args.readers} readers, ${cpus().length} CPUs.`,
    '',
    '| process | RSS MB | PSS MB | private MB | queries / CPU-s |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `Open: writer ${(w.openMs / 1000).toFixed(1)} s, readers ${opened.map((o) => (o.openMs / 1000).toFixed(1)).join(', ')} s. ` +
      `Staleness over ${stale.samples} samples (refreshIntervalMs ${args['refresh-ms']}): p50 ${stale.p50.toFixed(1)} ms, p99 ${stale.p99.toFixed(1)} ms, max ${stale.max.toFixed(1)} ms.`,
    '',
  ].join('\n'));
}

if (args.role === 'parent') await parent();
else await child(args.role);
