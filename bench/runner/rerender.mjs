// --from-results: rebuild report.md, the plots and the terminal tables from a results.json
// (after a report change, or to move a report) without measuring anything again.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeReports } from './run-bench.mjs';

export async function rerender(resultsPath, outDir, { png }) {
  const file = resolve(resultsPath);
  if (!existsSync(file)) throw new RangeError(`--from-results: no such file ${file}`);
  const results = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(results.runs) || !results.options) throw new RangeError(`--from-results: ${file} is not a quiver bench results.json`);
  await writeReports(results, resolve(outDir), { png });
}
