#!/usr/bin/env node
// Markdown tables for README.md from two hnsw-vs-peers.mjs result files (before, after):
// recall@10 at equal ef (quiverdb before/after, hnswlib-node) and QPS per CPU-second at
// recall 0.95 / 0.99 (interpolated), each engine against hnswlib-node of the same run.
//   node bench/reports/graph-quality/tables.mjs before.json after.json [--ef 16,32,64,128,256,512]
import { readFileSync } from 'node:fs';
import { qpsAtRecall } from '../../lib/stats.mjs';

const [beforeFile, afterFile] = process.argv.slice(2);
const efArg = process.argv.indexOf('--ef');
const efs = (efArg > 0 ? process.argv[efArg + 1] : '16,32,64,128,256,512').split(',').map(Number);
const before = JSON.parse(readFileSync(beforeFile, 'utf8'));
const after = JSON.parse(readFileSync(afterFile, 'utf8'));
const f = (x) => (x == null ? 'n/a' : x.toFixed(4));
const at = (curve, ef) => curve.find((p) => p.ef === ef)?.recall;

console.log('### Recall@10 at equal ef\n');
for (const a of after.datasets) {
  const b = before.datasets.find((d) => d.name === a.name);
  console.log(`**${a.name}** (${a.n} x ${a.dim}, ${a.metric}, ${a.nq} queries)\n`);
  console.log(`| ef | ${efs.join(' | ')} |`);
  console.log(`|---|${efs.map(() => '---:').join('|')}|`);
  console.log(`| quiverdb before | ${efs.map((ef) => f(at(b.engines.quiverdb.curve, ef))).join(' | ')} |`);
  console.log(`| quiverdb after | ${efs.map((ef) => f(at(a.engines.quiverdb.curve, ef))).join(' | ')} |`);
  console.log(`| hnswlib-node | ${efs.map((ef) => f(at(a.engines['hnswlib-node'].curve, ef))).join(' | ')} |\n`);
}
console.log('### QPS per CPU-second at recall@10 0.95 and 0.99 (interpolated on the ef curve)\n');
console.log('hnswlib-node: its value in the before run / in the after run.\n');
console.log('| dataset | 0.95 before | 0.95 after | after/before | 0.95 hnswlib-node | 0.99 before | 0.99 after | after/before | 0.99 hnswlib-node |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const a of after.datasets) {
  const b = before.datasets.find((d) => d.name === a.name);
  const cells = [];
  for (const target of [0.95, 0.99]) {
    // '>=' marks a curve whose first point (ef 10) already reaches the target.
    const get = (curve) => qpsAtRecall(curve, target);
    const show = (r) => (r.qps == null ? 'n/a' : `${r.bound === 'at-least' ? '>=' : ''}${r.qps.toFixed(0)}`);
    const qb = get(b.engines.quiverdb.curve), qa = get(a.engines.quiverdb.curve);
    const hb = get(b.engines['hnswlib-node'].curve), ha = get(a.engines['hnswlib-node'].curve);
    cells.push(show(qb), show(qa), qa.qps && qb.qps ? `x${(qa.qps / qb.qps).toFixed(2)}` : 'n/a', `${show(hb)} / ${show(ha)}`);
  }
  console.log(`| ${a.name} | ${cells.join(' | ')} |`);
}
