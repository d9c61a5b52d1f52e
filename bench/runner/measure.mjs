// The measurement protocol for one engine on one prepared dataset, run inside the engine's
// own child process. setup(): build (all threads; 1 thread too when asked), memory,
// save/load. Then measure(slot, rep) for each slot (an ef, or a filter) and repetition:
// the parent interleaves repetitions across engines (engine A rep 1, engine B rep 1, ...,
// A rep 2, ...) so drifting load on a shared machine hits every engine alike. finish()
// summarises (medians) into the engine's record.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, recallAtK } from '../lib/stats.mjs';
import { jsBatch, jsBatchAsync, jsSingleQueries, jsSingleQueriesAsync, nowMs } from './timed-loops.mjs';

const gc = () => globalThis.gc?.();
const rss = () => { gc(); return process.memoryUsage.rss(); };

const cpuSecondsNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Wall seconds (engine-measured when the engine returns them) and this process's CPU seconds. */
async function timed(fn) {
  const t0 = nowMs(), c0 = cpuSecondsNow();
  const r = await fn();
  const elapsed = (nowMs() - t0) / 1000;
  const cpuSeconds = typeof r?.cpuSeconds === 'number' ? r.cpuSeconds : cpuSecondsNow() - c0;
  return { seconds: typeof r?.seconds === 'number' ? r.seconds : elapsed, cpuSeconds, result: r };
}

function singleSummary(run, count, k, truth, truthK, recallK, nq) {
  const perRepQps = run.latenciesMs.map((rep) => count / (rep.reduce((a, b) => a + b, 0) / 1000));
  const all = run.latenciesMs.flat();
  return {
    queries: count, reps: run.latenciesMs.length,
    qps: median(perRepQps), qpsPerRep: perRepQps,
    p50Ms: percentile(all, 50), p99Ms: percentile(all, 99),
    recall: recallAtK(run.labels, k, truth, truthK, recallK, Math.min(count, nq)),
  };
}

export class EngineSession {
  #adapter; #data; #options; #progress; #engine = null; #scratch = null;
  #step = -1; #steps = 1;
  #runSingle; #runBatch; #calibration = new Map(); #raw = new Map();
  record;

  constructor(adapter, data, options, progress = () => {}) {
    this.#adapter = adapter;
    this.#data = data;
    this.#options = options;
    this.#progress = progress;
    this.record = { engine: adapter.info.name, label: adapter.info.label, kind: adapter.info.kind };
  }

  #enter(phase) { this.#step += 1; this.#progress(phase, this.#step / this.#steps); }
  #within(phase, fraction) { this.#progress(phase, (this.#step + fraction) / this.#steps); }

  /** Probes, builds, measures memory and save/load. Returns the slots to measure, or null when unavailable. */
  async setup() {
    const { meta } = this.#data;
    const { threads, reps } = this.#options;
    const record = this.record;
    const probe = await this.#adapter.probe();
    if (!probe.available) {
      Object.assign(record, { status: 'unavailable', reason: probe.reason });
      return null;
    }
    Object.assign(record, { status: 'ok', version: probe.version, notes: probe.notes });
    const context = { dim: meta.dim, metric: meta.metric, workDir: this.#options.workDir, n: meta.n, nq: meta.nq };
    const buildOptions = { M: this.#options.M, efConstruction: this.#options.efConstruction, seed: this.#options.seed };
    const engine = this.#engine = await this.#adapter.create(context);
    const caps = engine.capabilities;
    record.capabilities = caps;
    const slots = this.slots();
    const singleBuild = Boolean(this.#options.buildSingleThread && caps.threadedBuild && threads > 1);
    this.#steps = 1 + (singleBuild ? 1 : 0) + (caps.persistence ? 1 : 0) + slots.length * reps;
    this.#scratch = mkdtempSync(join(tmpdir(), `quiver-bench-${this.#adapter.info.name}-`));

    // Build with all threads (the index searched later), measuring its memory.
    this.#enter('build');
    const buildThreads = caps.threadedBuild ? threads : 1;
    const rssBefore = rss();
    const build = await timed(() => engine.build(this.#data.base, {
      ...buildOptions, threads: buildThreads, onProgress: (done, total) => this.#within('build', done / total),
    }));
    const rssAfter = rss();
    const reported = engine.memory?.() ?? null;
    const rssGrowth = build.result?.indexBytes ?? rssAfter - rssBefore; // the Python child measures its own RSS
    record.build = {
      threads: buildThreads, seconds: build.seconds, cpuSeconds: build.cpuSeconds, M: this.#options.M, efConstruction: this.#options.efConstruction,
    };
    record.memory = {
      rssGrowthBytes: rssGrowth, rssBytesPerVector: rssGrowth / meta.n,
      reportedBytes: reported?.indexBytes ?? null, reportedBytesPerVector: reported ? reported.indexBytes / meta.n : null,
    };

    if (singleBuild) {
      this.#enter('build 1 thread');
      const second = caps.remoteTiming ? engine : await this.#adapter.create(context);
      const one = await timed(() => second.build(this.#data.base, {
        ...buildOptions, threads: 1, keep: false, onProgress: (done, total) => this.#within('build 1 thread', done / total),
      }));
      if (second !== engine) await second.close();
      record.buildSingleThread = { threads: 1, seconds: one.seconds, cpuSeconds: one.cpuSeconds };
      gc();
    } else if (!caps.threadedBuild) {
      record.buildSingleThread = { threads: 1, seconds: build.seconds, cpuSeconds: build.cpuSeconds, note: 'single-threaded build only' };
    }

    // Save and load, each repeated; searches run on the reloaded index.
    if (caps.persistence) {
      this.#enter('save/load');
      const file = join(this.#scratch, 'index.bin');
      const saves = [], loads = [];
      for (let r = 0; r < reps; r++) {
        saves.push((await timed(() => engine.save(file))).seconds);
        loads.push((await timed(() => engine.load(file))).seconds);
        gc();
      }
      record.persistence = { saveSeconds: median(saves), loadSeconds: median(loads), fileBytes: statSync(file).size };
    } else {
      record.persistence = null;
    }

    const prepared = engine.prepareQueries?.(this.#data.queries, meta.nq)
      ?? Array.from({ length: meta.nq }, (_, i) => this.#data.queries.subarray(i * meta.dim, (i + 1) * meta.dim));
    // Engines whose search returns a promise (capabilities.asyncSearch) get the awaiting loops;
    // the others keep the synchronous ones.
    const single = caps.asyncSearch ? jsSingleQueriesAsync : jsSingleQueries;
    const batch = caps.asyncSearch ? jsBatchAsync : jsBatch;
    this.#runSingle = (o) => (engine.runSingleQueries ? engine.runSingleQueries(o) : single(engine, prepared, o));
    this.#runBatch = (o) => (engine.runBatch ? engine.runBatch(o) : batch(engine, this.#data.queries, meta.nq, o));
    record.batchThreads = caps.batchThreads === 'all' ? threads : 1;
    return slots;
  }

  /** What this engine measures: one slot per ef (one 'exact' slot for exact engines), then filters. */
  slots() {
    const caps = this.#engine?.capabilities ?? {};
    const efs = caps.exact ? [null] : this.#options.efs;
    const filters = caps.filter ? Object.keys(this.#data.filters) : [];
    return [...efs.map((ef) => ({ kind: 'search', ef, id: `ef ${ef ?? 'exact'}` })),
      ...filters.map((name) => ({ kind: 'filter', name, id: `filter ${name}` }))];
  }

  // Timing windows: every timed repetition lasts about options.singleSeconds, cycling
  // through the queries (or repeating the batch call) when the query set is quick to run.
  #countFor(perQuerySeconds) {
    const nq = this.#data.meta.nq;
    return Math.max(Math.min(nq, 20), Math.min(20 * nq, Math.round(this.#options.singleSeconds / Math.max(perQuerySeconds, 1e-7))));
  }

  /** One timed repetition of `slot`; the first one also warms up and sizes the timing windows. */
  async measure(slot, rep) {
    const { meta } = this.#data;
    const k = this.#options.k;
    this.#enter(`${slot.id} rep ${rep + 1}`);
    const raw = this.#raw.get(slot.id) ?? { batch: [], single: [] };
    this.#raw.set(slot.id, raw);
    if (slot.kind === 'search') {
      const { ef } = slot;
      const threads = this.record.batchThreads;
      if (!this.#calibration.has(slot.id)) {
        await this.#runSingle({ k, ef, count: Math.min(5, meta.nq), reps: 1 }); // warm-up (and usearch's ef switch)
        const probe = await this.#runBatch({ k, ef, threads, reps: 1 });
        const calls = Math.max(1, Math.min(50, Math.round(this.#options.singleSeconds / Math.max(probe.seconds[0], 1e-6))));
        const count = this.#countFor((probe.seconds[0] * threads) / meta.nq);
        this.#calibration.set(slot.id, { calls, count });
      }
      const { calls, count } = this.#calibration.get(slot.id);
      raw.batch.push(await this.#runBatch({ k, ef, threads, reps: 1, calls }));
      raw.single.push(await this.#runSingle({ k, ef, count, reps: 1 }));
    } else {
      const f = this.#data.filters[slot.name];
      const ef = this.#engine.capabilities.exact ? null : this.#options.filterEf;
      if (!this.#calibration.has(slot.id)) {
        const mask = new Uint8Array(meta.n);
        for (const row of f.rows) mask[row] = 1;
        const allow = { labels: Float64Array.from(f.rows), mask };
        const warm = await this.#runSingle({ k: f.k, ef, count: Math.min(5, meta.nq), reps: 1, allow, allowFile: f.allowFile });
        this.#calibration.set(slot.id, { allow, ef, count: this.#countFor(median(warm.latenciesMs[0]) / 1000) });
      }
      const { allow, count } = this.#calibration.get(slot.id);
      raw.single.push(await this.#runSingle({ k: f.k, ef, count, reps: 1, allow, allowFile: f.allowFile }));
    }
  }

  /** Summaries (medians over repetitions), process memory and CPU: the engine's record. */
  async finish() {
    const { meta, groundTruth } = this.#data;
    const record = this.record;
    const k = this.#options.k;
    const merge = (runs) => ({ latenciesMs: runs.flatMap((r) => r.latenciesMs), labels: runs[runs.length - 1].labels });
    record.search = [];
    record.filtered = [];
    for (const slot of this.slots()) {
      const raw = this.#raw.get(slot.id);
      if (!raw) continue;
      const { count, calls } = this.#calibration.get(slot.id);
      if (slot.kind === 'search') {
        const seconds = raw.batch.flatMap((b) => b.seconds);
        const labels = raw.batch[raw.batch.length - 1].labels;
        record.search.push({
          ef: slot.ef,
          recall: recallAtK(labels, k, groundTruth, meta.groundTruthK, k, meta.nq),
          batch: { threads: record.batchThreads, reps: seconds.length, callsPerRep: calls, qps: meta.nq / median(seconds), seconds },
          single: singleSummary(merge(raw.single), count, k, groundTruth, meta.groundTruthK, k, meta.nq),
        });
      } else {
        const f = this.#data.filters[slot.name];
        const { ef } = this.#calibration.get(slot.id);
        record.filtered.push({
          filter: slot.name, fraction: f.fraction, allowed: f.allowed, ef,
          ...singleSummary(merge(raw.single), count, f.k, f.groundTruth, f.k, f.k, meta.nq),
        });
      }
    }
    const processMemory = await this.#engine.processMemory?.();
    record.peakRssBytes = processMemory?.peakRss ?? process.resourceUsage().maxRSS * 1024;
    record.processCpuSeconds = processMemory?.cpuSeconds ?? cpuSecondsNow();
    if (this.#engine.runtime) record.runtime = this.#engine.runtime;
    return record;
  }

  async close() {
    await this.#engine?.close();
    if (this.#scratch) rmSync(this.#scratch, { recursive: true, force: true });
  }
}
