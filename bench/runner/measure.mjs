// The measurement protocol for one engine on one prepared dataset, run inside the engine's
// own child process: build (all threads; 1 thread too when asked), memory, save/load,
// then for each ef recall@k, batch QPS and single-query QPS/latency, then filtered search.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, recallAtK } from '../lib/stats.mjs';
import { jsBatch, jsSingleQueries, nowMs } from './timed-loops.mjs';

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

/**
 * Measures `adapter` on `data` (from readWorkDir). options: { k, efs, threads, M,
 * efConstruction, reps, buildSingleThread, singleSeconds, filterEf, workDir }.
 * progress(phase, fraction) reports where it is. Returns the engine's result record.
 */
export async function measureEngine(adapter, data, options, progress = () => {}) {
  const { meta } = data;
  const { k, threads, reps } = options;
  const record = { engine: adapter.info.name, label: adapter.info.label, kind: adapter.info.kind };
  const probe = await adapter.probe();
  if (!probe.available) return { ...record, status: 'unavailable', reason: probe.reason };
  Object.assign(record, { status: 'ok', version: probe.version, notes: probe.notes });

  const context = { dim: meta.dim, metric: meta.metric, workDir: options.workDir, n: meta.n, nq: meta.nq };
  const buildOptions = { M: options.M, efConstruction: options.efConstruction, seed: options.seed };
  const engine = await adapter.create(context);
  const caps = engine.capabilities;
  record.capabilities = caps;
  const efs = caps.exact ? [null] : options.efs;
  const filterNames = caps.filter ? Object.keys(data.filters) : [];
  const singleBuild = Boolean(options.buildSingleThread && caps.threadedBuild && threads > 1);
  // Progress is reported as the overall fraction of this engine's steps.
  const steps = 1 + (singleBuild ? 1 : 0) + (caps.persistence ? 1 : 0) + efs.length + filterNames.length;
  let step = -1;
  const enter = (phase) => { step += 1; progress(phase, step / steps); };
  const within = (phase, fraction) => progress(phase, (step + fraction) / steps);
  const scratch = mkdtempSync(join(tmpdir(), `quiver-bench-${adapter.info.name}-`));
  try {
    // Build with all threads (the index searched below), measuring its memory.
    enter('build');
    const buildThreads = caps.threadedBuild ? threads : 1;
    const rssBefore = rss();
    const build = await timed(() => engine.build(data.base, {
      ...buildOptions, threads: buildThreads, onProgress: (done, total) => within('build', done / total),
    }));
    const rssAfter = rss();
    const reported = engine.memory?.() ?? null;
    const rssGrowth = build.result?.indexBytes ?? rssAfter - rssBefore; // the Python child measures its own RSS
    record.build = {
      threads: buildThreads, seconds: build.seconds, cpuSeconds: build.cpuSeconds, M: options.M, efConstruction: options.efConstruction,
    };
    record.memory = {
      rssGrowthBytes: rssGrowth, rssBytesPerVector: rssGrowth / meta.n,
      reportedBytes: reported?.indexBytes ?? null, reportedBytesPerVector: reported ? reported.indexBytes / meta.n : null,
    };

    if (singleBuild) {
      enter('build 1 thread');
      const second = caps.remoteTiming ? engine : await adapter.create(context);
      const one = await timed(() => second.build(data.base, {
        ...buildOptions, threads: 1, keep: false, onProgress: (done, total) => within('build 1 thread', done / total),
      }));
      if (second !== engine) second.close();
      record.buildSingleThread = { threads: 1, seconds: one.seconds, cpuSeconds: one.cpuSeconds };
      gc();
    } else if (!caps.threadedBuild) {
      record.buildSingleThread = { threads: 1, seconds: build.seconds, note: 'single-threaded build only' };
    }

    // Save and load, each repeated; searches below run on the reloaded index.
    if (caps.persistence) {
      enter('save/load');
      const file = join(scratch, 'index.bin');
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

    const prepared = engine.prepareQueries?.(data.queries, meta.nq)
      ?? Array.from({ length: meta.nq }, (_, i) => data.queries.subarray(i * meta.dim, (i + 1) * meta.dim));
    const runSingle = (o) => (engine.runSingleQueries ? engine.runSingleQueries(o) : jsSingleQueries(engine, prepared, o));
    const runBatch = (o) => (engine.runBatch ? engine.runBatch(o) : jsBatch(engine, data.queries, meta.nq, o));

    // Recall/QPS per ef (an exact engine ignores ef: one point).
    record.batchThreads = caps.batchThreads === 'all' ? threads : 1;
    record.search = [];
    // Timing windows: every timed repetition lasts about options.singleSeconds, cycling
    // through the queries (or repeating the batch call) when the query set is quick to run.
    const window = options.singleSeconds;
    const countFor = (perQuerySeconds, cap) => Math.max(Math.min(meta.nq, 20), Math.min(cap, Math.round(window / Math.max(perQuerySeconds, 1e-7))));
    for (const ef of efs) {
      enter(`search ef ${ef ?? 'exact'}`);
      await runSingle({ k, ef, count: Math.min(5, meta.nq), reps: 1 }); // warm-up (and usearch's ef switch)
      const probe = await runBatch({ k, ef, threads: record.batchThreads, reps: 1 }); // warm-up and estimate
      const calls = Math.max(1, Math.min(50, Math.round(window / Math.max(probe.seconds[0], 1e-6))));
      const batch = await runBatch({ k, ef, threads: record.batchThreads, reps, calls });
      const batchSeconds = median(batch.seconds);
      const perQuery = (batchSeconds * record.batchThreads) / meta.nq;
      const count = countFor(perQuery, 20 * meta.nq);
      const single = await runSingle({ k, ef, count, reps });
      record.search.push({
        ef,
        recall: recallAtK(batch.labels, k, data.groundTruth, meta.groundTruthK, k, meta.nq),
        batch: { threads: record.batchThreads, reps, callsPerRep: calls, qps: meta.nq / batchSeconds, seconds: batch.seconds },
        single: singleSummary(single, count, k, data.groundTruth, meta.groundTruthK, k, meta.nq),
      });
    }

    // Filtered search: recall@10 and single-query QPS with a share of the rows allowed.
    record.filtered = [];
    for (const name of filterNames) {
      const f = data.filters[name];
      enter(`filter ${name} allowed`);
      const ef = caps.exact ? null : options.filterEf;
      const labels = Float64Array.from(f.rows);
      const mask = new Uint8Array(meta.n);
      for (const row of f.rows) mask[row] = 1;
      const allow = { labels, mask };
      const fk = f.k;
      const warm = await runSingle({ k: fk, ef, count: Math.min(5, meta.nq), reps: 1, allow, allowFile: f.allowFile });
      const count = countFor(median(warm.latenciesMs[0]) / 1000, 20 * meta.nq);
      const run = await runSingle({ k: fk, ef, count, reps, allow, allowFile: f.allowFile });
      record.filtered.push({ filter: name, fraction: f.fraction, allowed: f.allowed, ef, ...singleSummary(run, count, fk, f.groundTruth, fk, fk, meta.nq) });
    }
    const processMemory = await engine.processMemory?.();
    record.peakRssBytes = processMemory?.peakRss ?? process.resourceUsage().maxRSS * 1024;
    record.processCpuSeconds = processMemory?.cpuSeconds ?? cpuSecondsNow();
    if (engine.runtime) record.runtime = engine.runtime;
    return record;
  } finally {
    engine.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
