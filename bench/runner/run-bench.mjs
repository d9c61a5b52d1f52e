// The whole benchmark: for each dataset, prepare it once, run every engine in its own child
// process one after another (never two at once: they would disturb each other's timings),
// then compute ratios and write results.json, report.md and the recall/QPS plot.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { FALLBACKS, getEngine, resolveEngineNames } from '../engines/index.mjs';
import { describeMachine } from '../lib/machine.mjs';
import { quiverdbVersion } from '../lib/quiverdb.mjs';
import { computeRatios } from '../report/ratios.mjs';
import { allTables } from '../report/tables.mjs';
import { renderTerminal } from '../report/terminal.mjs';
import { renderMarkdown } from '../report/markdown.mjs';
import { renderPlotSvg } from '../report/plot.mjs';
import { svgToPng } from '../report/png.mjs';
import { prepareDataset } from './prepare.mjs';
import { runEngineInChild } from './run-engine.mjs';

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

const safeName = (s) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Runs the benchmark described by `options` (see bench/cli.mjs for each field).
 * Returns the results object, after writing it and the reports into options.out.
 */
export async function runBench(options, { progress, print = (s) => process.stdout.write(s) }) {
  const started = performance.now();
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
  const engines = await engineList(options.engines);
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
      const records = [];
      for (const engine of engines) {
        const bar = progress.engine(engine);
        const t0 = performance.now();
        const record = await runEngineInChild({
          engine, label: getEngine(engine).info.label, workDir, options: engineOptions,
          timeoutSeconds: options.timeout, onProgress: (phase, fraction) => bar.update(phase, fraction),
        });
        record.wallSeconds = (performance.now() - t0) / 1000;
        bar.done(record.status === 'ok' ? 'done' : `${record.status}: ${record.reason.split('\n')[0].slice(0, 80)}`);
        records.push(record);
      }
      const run = { dataset: d, timings: prepared.timings, engines: records, ratios: computeRatios(records) };
      const plotName = options.datasets.length === 1 ? 'recall-qps.svg' : `recall-qps-${safeName(d.name)}.svg`;
      try {
        writeFileSync(join(outDir, plotName), await renderPlotSvg(run, { k: options.k, threads: options.threads }));
        run.plot = plotName;
        if (options.png) await svgToPng(join(outDir, plotName), join(outDir, plotName.replace(/\.svg$/, '.png')));
      } catch (e) {
        run.plotError = e.message;
        progress.log(`plot not written: ${e.message}`);
      }
      results.runs.push(run);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  progress.stop();
  results.finishedAt = new Date().toISOString();
  results.totalSeconds = (performance.now() - started) / 1000;
  results.loadAverageAtEnd = os.loadavg();
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(outDir, 'report.md'), renderMarkdown(results));
  for (const run of results.runs) {
    print(`\n== ${run.dataset.name}: ${run.dataset.n} x ${run.dataset.dim}, ${run.dataset.nq} queries, ${run.dataset.metric}\n\n`);
    print(renderTerminal(allTables(run, options.k)) + '\n');
  }
  print(`\nTook ${results.totalSeconds.toFixed(0)} s. Wrote ${join(outDir, 'results.json')}, report.md`
    + `${results.runs.some((r) => r.plot) ? `, ${results.runs.filter((r) => r.plot).map((r) => r.plot).join(', ')}` : ''}\n`);
  return results;
}
