// The whole benchmark: for each dataset, prepare it once, start every engine in its own child
// process, build them one after another, then measure in rounds: repetition 1 of ef 10 on
// every engine, repetition 2, ..., then the next ef. Only one engine works at any moment
// (no cross-talk), and load that drifts on a shared machine is spread over all engines
// instead of landing on whichever ran last. Then ratios, results.json, report.md and plots.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { FALLBACKS, getEngine, resolveEngineNames } from '../engines/index.mjs';
import { describeMachine } from '../lib/machine.mjs';
import { quiverdbVersion } from '../lib/quiverdb.mjs';
import { computeRatios } from '../report/ratios.mjs';
import { allTables, crossDatasetRatioTable } from '../report/tables.mjs';
import { renderTerminal } from '../report/terminal.mjs';
import { renderMarkdown } from '../report/markdown.mjs';
import { renderPlotSvg } from '../report/plot.mjs';
import { svgToPng } from '../report/png.mjs';
import { prepareDataset } from './prepare.mjs';
import { EngineProcess } from './run-engine.mjs';

/** --engines, with faiss-node's Python fallback added when faiss-node itself is missing. */
async function engineList(list) {
  const names = resolveEngineNames(list);
  for (const [name, fallbacks] of Object.entries(FALLBACKS)) {
    if (!names.includes(name)) continue;
    const probe = await getEngine(name).probe();
    if (probe.available) continue;
    const at = names.indexOf(name) + 1;
    names.splice(at, 0, ...fallbacks.filter((f) => !names.includes(f)));
  }
  return names;
}

/**
 * Sets up every engine (builds one at a time), runs the interleaved measurement rounds and
 * collects one record per engine, in `engines` order.
 */
async function measureEngines(engines, workDir, engineOptions, options, progress) {
  const records = new Map();
  const live = [];
  for (const engine of engines) {
    const bar = progress.engine(engine);
    const proc = new EngineProcess({ engine, label: getEngine(engine).info.label, onProgress: (phase, f) => bar.update(phase, f) });
    const t0 = performance.now();
    const reply = await proc.call({ cmd: 'setup', engine, workDir, options: engineOptions }, options.timeout);
    const entry = { engine, proc, bar, slots: reply?.slots ?? [], seconds: (performance.now() - t0) / 1000 };
    if (reply?.type === 'ready') live.push(entry);
    else {
      const record = reply?.record ?? proc.failure;
      records.set(engine, record);
      bar.done(`${record.status}: ${record.reason.split('\n')[0].slice(0, 80)}`);
    }
  }
  // Slot order: each ef ascending (an exact engine's single 'exact' slot first), then filters.
  const order = [];
  for (const e of live) for (const slot of e.slots) if (!order.some((s) => s.id === slot.id)) order.push(slot);
  order.sort((a, b) => (a.kind !== b.kind ? (a.kind === 'search' ? -1 : 1) : a.kind === 'search' ? (a.ef ?? 0) - (b.ef ?? 0) : 0));
  for (const slot of order) {
    for (let rep = 0; rep < options.reps; rep++) {
      for (const e of live) {
        if (!e.slots.some((s) => s.id === slot.id)) continue;
        const t0 = performance.now();
        await e.proc.call({ cmd: 'measure', slot, rep }, options.timeout);
        e.seconds += (performance.now() - t0) / 1000;
      }
    }
  }
  for (const e of live) {
    const t0 = performance.now();
    const reply = await e.proc.call({ cmd: 'finish' }, options.timeout);
    const record = reply?.record ?? e.proc.failure;
    record.wallSeconds = e.seconds + (performance.now() - t0) / 1000;
    records.set(e.engine, record);
    e.bar.done(record.status === 'ok' ? 'done' : `${record.status}: ${record.reason.split('\n')[0].slice(0, 80)}`);
  }
  return engines.map((engine) => records.get(engine));
}

const safeName = (s) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Runs the benchmark described by `options` (see bench/cli.mjs for each field).
 * Returns the results object, after writing it and the reports into options.out.
 */
export async function runBench(options, { progress, print = (s) => process.stdout.write(s) }) {
  const started = performance.now();
  // Fail on a bad path before creating anything.
  for (const spec of options.datasets) {
    if (spec.path && !existsSync(resolve(spec.path))) throw new RangeError(`--dataset: no such file or folder ${resolve(spec.path)}`);
  }
  const engines = await engineList(options.engines);
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  const results = {
    tool: 'quiver bench', quiverdbVersion: quiverdbVersion(), command: options.command,
    startedAt: new Date().toISOString(), machine: await describeMachine(),
    options: {
      k: options.k, efs: options.efs, threads: options.threads, M: options.M, efConstruction: options.efConstruction,
      reps: options.reps, buildSingleThread: options.buildSingleThread, filterEf: options.filterEf,
      singleSeconds: options.singleSeconds, quick: options.quick, full: options.full,
    },
    runs: [],
  };
  const engineOptions = {
    k: options.k, efs: options.efs, threads: options.threads, M: options.M, efConstruction: options.efConstruction,
    reps: options.reps, buildSingleThread: options.buildSingleThread, singleSeconds: options.singleSeconds,
    filterEf: options.filterEf, seed: options.seed,
  };

  for (const spec of options.datasets) {
    const workDir = mkdtempSync(join(os.tmpdir(), 'quiver-bench-data-'));
    try {
      progress.log(`dataset ${spec.path || 'generated Gaussian mixture'}: loading, ground truth...`);
      const prepared = await prepareDataset({ ...spec, k: options.k, threads: options.threads, filters: true }, workDir);
      const d = prepared.dataset;
      progress.log(`dataset ${d.name}: ${d.n} x ${d.dim}, ${d.nq} queries, ${d.metric}, ground truth ${d.groundTruth.from}`);
      const records = await measureEngines(engines, workDir, engineOptions, options, progress);
      const run = { dataset: d, timings: prepared.timings, engines: records, ratios: computeRatios(records) };
      results.runs.push(run);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  progress.stop();
  results.finishedAt = new Date().toISOString();
  results.totalSeconds = (performance.now() - started) / 1000;
  results.loadAverageAtEnd = os.loadavg();
  await writeReports(results, outDir, { png: options.png, print, log: (line) => progress.log(line) });
  return results;
}

/**
 * Writes results.json, one recall/QPS plot per dataset (recall-qps.svg when there is one),
 * report.md, and prints the tables. Also used by --from-results to re-render old results.
 */
export async function writeReports(results, outDir, { png = false, print = (s) => process.stdout.write(s), log = console.error } = {}) {
  mkdirSync(outDir, { recursive: true });
  const { k, threads } = results.options;
  for (const run of results.runs) {
    run.ratios = computeRatios(run.engines);
    const plotName = results.runs.length === 1 ? 'recall-qps.svg' : `recall-qps-${safeName(run.dataset.name)}.svg`;
    try {
      writeFileSync(join(outDir, plotName), await renderPlotSvg(run, { k, threads }));
      run.plot = plotName;
      delete run.plotError;
      if (png) await svgToPng(join(outDir, plotName), join(outDir, plotName.replace(/\.svg$/, '.png')));
    } catch (e) {
      run.plotError = e.message;
      log(`plot not written: ${e.message}`);
    }
  }
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(outDir, 'report.md'), renderMarkdown(results));
  for (const run of results.runs) {
    print(`\n== ${run.dataset.name}: ${run.dataset.n} x ${run.dataset.dim}, ${run.dataset.nq} queries, ${run.dataset.metric}\n\n`);
    print(renderTerminal(allTables(run, k)) + '\n');
  }
  if (results.runs.length > 1) print(`\n${renderTerminal([crossDatasetRatioTable(results)])}\n`);
  const plots = results.runs.filter((r) => r.plot).map((r) => r.plot);
  print(`\nTook ${results.totalSeconds.toFixed(0)} s. Wrote ${join(outDir, 'results.json')}, report.md${plots.length ? `, ${plots.join(', ')}` : ''}\n`);
}
