// The report's tables as plain data ({ title, headers, rows, note }), rendered to the terminal
// by terminal.mjs and to report.md by markdown.mjs.
import { fmtBytes, fmtMB, fmtMs, fmtQps, fmtRatio, fmtRecall, fmtSeconds } from './format.mjs';
import { RECALL_TARGETS, qpsAt } from './ratios.mjs';

const ok = (records) => records.filter((r) => r.status === 'ok');

export function summaryTable(run) {
  const rows = ok(run.engines).map((r) => {
    const at = (mode) => RECALL_TARGETS.map((t) => {
      const v = qpsAt(r, mode, t);
      return v.qps === null ? '–' : `${v.bound === 'at-least' ? '≥' : ''}${fmtQps(v.qps)}`;
    });
    return [
      r.engine, r.version ?? '', fmtSeconds(r.wallSeconds),
      `${fmtSeconds(r.build.seconds)} (${r.build.threads}t, cpu ${fmtSeconds(r.build.cpuSeconds)})`,
      r.buildSingleThread ? fmtSeconds(r.buildSingleThread.seconds) : 'not run',
      fmtBytes(r.memory.rssBytesPerVector), fmtBytes(r.memory.reportedBytesPerVector), fmtMB(r.peakRssBytes),
      r.persistence ? `${fmtSeconds(r.persistence.saveSeconds)} / ${fmtSeconds(r.persistence.loadSeconds)}` : 'n/a',
      ...at('single'), ...at('batch'),
    ];
  });
  const t = RECALL_TARGETS.map((x) => `@${x}`);
  return {
    title: 'Engines',
    headers: ['engine', 'version', 'run s', 'build s', 'build s 1t', 'B/vec RSS', 'B/vec own', 'peak RSS', 'save/load s',
      ...t.map((x) => `QPS 1t ${x}`), ...t.map((x) => `QPS batch ${x}`)],
    rows,
    note: 'run s: the whole engine child process. QPS at a recall is interpolated on each curve (≥: the lowest ef already exceeds it). B/vec RSS: process RSS growth while building, per vector (vectors included, allocator slack too); B/vec own: what the engine reports it holds. 1t: one thread, one query per call.',
  };
}

export function curveTable(run, k) {
  const engines = ok(run.engines).filter((r) => r.search?.length);
  const efs = [...new Set(engines.flatMap((r) => r.search.map((p) => p.ef)))];
  const rows = efs.map((ef) => [
    ef === null ? 'exact' : String(ef),
    ...engines.map((r) => {
      const p = r.search.find((s) => s.ef === ef);
      return p ? `${fmtRecall(p.recall)} | ${fmtQps(p.single.qps)} | ${fmtQps(p.batch.qps)} | ${fmtMs(p.single.p50Ms)}/${fmtMs(p.single.p99Ms)}` : '';
    }),
  ]);
  return {
    title: `recall@${k} | single-query QPS (1 thread) | batch QPS | p50/p99 ms, per ef`,
    headers: ['ef', ...engines.map((r) => `${r.engine} (batch ${r.batchThreads}t)`)],
    rows,
  };
}

export function ratioTable(run) {
  const rows = run.ratios.map((row) => [
    `${row.quiverdb} / ${row.peer}`,
    ...row.targets.single.map(fmtRatio), ...row.targets.batch.map(fmtRatio),
  ]);
  const t = RECALL_TARGETS.map((x) => `@${x}`);
  return {
    title: "quiverdb's QPS / peer's QPS at equal recall (>1: quiverdb faster)",
    headers: ['pair', ...t.map((x) => `1t ${x}`), ...t.map((x) => `batch ${x}`)],
    rows,
    note: '–: one of the two curves never reaches that recall. ~: one side is a lower bound (its lowest ef already beats the target).',
  };
}

export function filterTable(run) {
  const engines = ok(run.engines).filter((r) => r.filtered?.length);
  const names = [...new Set(engines.flatMap((r) => r.filtered.map((f) => f.filter)))];
  return {
    title: 'Filtered search (single query, 1 thread): recall@10 | QPS, by share of rows allowed',
    headers: ['engine', 'ef', ...names.map((n) => `${n} allowed`)],
    rows: engines.map((r) => [
      r.engine, r.filtered[0].ef === null ? 'exact' : String(r.filtered[0].ef),
      ...names.map((n) => {
        const f = r.filtered.find((x) => x.filter === n);
        return f ? `${fmtRecall(f.recall)} | ${fmtQps(f.qps)}` : '';
      }),
    ]),
    note: `Engines without filtered search: ${ok(run.engines).filter((r) => !r.filtered?.length).map((r) => r.engine).join(', ') || 'none'}.`,
  };
}

export function unavailableTable(run) {
  const rows = run.engines.filter((r) => r.status !== 'ok').map((r) => [r.engine, r.status, r.reason.split('\n')[0]]);
  return { title: 'Not measured', headers: ['engine', 'status', 'reason'], rows };
}

export function allTables(run, k) {
  return [summaryTable(run), curveTable(run, k), ratioTable(run), filterTable(run), unavailableTable(run)]
    .filter((t) => t.rows.length > 0);
}

/** quiverdb-vs-peer ratios of every dataset in one table (report.md's summary). */
export function crossDatasetRatioTable(results) {
  const rows = [];
  for (const run of results.runs) {
    for (const row of run.ratios) {
      rows.push([run.dataset.name, `${row.quiverdb} / ${row.peer}`, ...row.targets.single.map(fmtRatio), ...row.targets.batch.map(fmtRatio)]);
    }
  }
  const t = RECALL_TARGETS.map((x) => `@${x}`);
  return {
    title: "Summary: quiverdb's QPS / peer's QPS at equal recall, every dataset (>1: quiverdb faster)",
    headers: ['dataset', 'pair', ...t.map((x) => `1t ${x}`), ...t.map((x) => `batch ${x}`)],
    rows,
    note: '1t: one query per call on one thread; batch: all queries in one call on all threads (hnswlib-node has no batch API: a loop on 1 thread). –: a curve never reaches that recall; ~: a lower bound.',
  };
}
