// report.md: machine, command, dataset and the report tables for every dataset run.
import { allTables, crossDatasetRatioTable } from './tables.mjs';
import { fmtSeconds } from './format.mjs';

const escape = (s) => String(s ?? '').replaceAll('|', '\\|');

function mdTable({ title, headers, rows, note }) {
  const out = [`### ${title}`, '', `| ${headers.map(escape).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${r.map(escape).join(' | ')} |`);
  if (note) out.push('', note);
  return out.join('\n');
}

export function renderMarkdown(results) {
  const m = results.machine;
  const o = results.options;
  const out = [
    '# quiver bench report', '',
    `Command: \`${results.command}\``, '',
    `Machine: ${m.cpu}, ${m.cores} cores, SIMD ${m.simdLevel} (available: ${m.availableSimdLevels.join(', ')}), `
      + `${(m.memoryBytes / 2 ** 30).toFixed(0)} GB RAM, ${m.platform}, Node ${m.node}. `
      + `Load average at start ${m.loadAverageAtStart.map((x) => x.toFixed(1)).join(' ')}${results.loadAverageAtEnd ? `, at end ${results.loadAverageAtEnd.map((x) => x.toFixed(1)).join(' ')}` : ''}.`,
    '',
    `Settings: k=${o.k}, M=${o.M}, efConstruction=${o.efConstruction}, threads=${o.threads}, ef ${o.efs.join(', ')}, `
      + `each timing repeated ${o.reps}x (median reported), filtered search at ef ${o.filterEf}. `
      + (o.buildSingleThread ? 'Single-thread builds measured.' : 'Single-thread builds not run (pass --build-single-thread or --full); engines without a threaded build are single-threaded anyway.'),
    '',
    `Started ${results.startedAt}, took ${fmtSeconds(results.totalSeconds)} s`
      + ` (engine processes used ${fmtSeconds(results.runs.flatMap((r) => r.engines).reduce((a, e) => a + (e.processCpuSeconds ?? 0), 0))} CPU seconds).`,
  ];
  if (results.runs.length > 1) out.push('', mdTable(crossDatasetRatioTable(results)).replace(/^### /, '## '));
  for (const run of results.runs) {
    const d = run.dataset;
    out.push('', `## ${d.name}`, '',
      `${d.n.toLocaleString('en-US')} x ${d.dim}, ${d.nq.toLocaleString('en-US')} queries, metric ${d.metric}; `
        + `ground truth ${d.groundTruth.from} (top ${d.groundTruth.k}). Source: ${d.source.kind}${d.source.path ? ` ${d.source.path}` : ''}. `
        + `Preparation: load/generate ${fmtSeconds(run.timings.loadSeconds)} s, ground truth ${fmtSeconds(run.timings.groundTruthSeconds)} s.`,
      '');
    if (run.plot) out.push(`![recall vs QPS on ${d.name}](${run.plot})`, '');
    out.push(allTables(run, o.k).map(mdTable).join('\n\n'));
  }
  return out.join('\n') + '\n';
}
