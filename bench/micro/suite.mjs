// Running benchmark.js suites and printing their results as one table, shared by the
// micro-benchmarks in this folder.
import Benchmark from 'benchmark';

/**
 * Runs `cases` ({ name, fn, extra }) as one benchmark.js suite and resolves to rows
 * { name, hz, rme, samples, ...extra } (hz = calls per second, rme = ± % at 95%).
 */
export function runSuite(title, cases, { minTime = 0.5, maxTime = 2 } = {}) {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite(title);
    for (const c of cases) suite.add(c.name, c.fn, { minTime, maxTime });
    const rows = [];
    suite.on('cycle', (event) => {
      const b = event.target;
      if (b.error) { reject(b.error); return; }
      const c = cases.find((x) => x.name === b.name);
      rows.push({ name: b.name, hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length, ...(c.extra ?? {}) });
      process.stderr.write(`  ${String(b)}\n`);
    });
    suite.on('complete', () => resolve(rows));
    suite.on('error', (e) => reject(e.target?.error ?? e));
    suite.run({ async: false });
  });
}

export function printTable(title, headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(`\n${title}\n${line(headers)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(line(r));
}

export const quick = process.argv.includes('--quick');
