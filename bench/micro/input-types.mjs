// What the query's array type costs: FlatIndex.search with a Float32Array (used as is)
// and with a number[] (converted to float32 on every call), at dims 128 and 768, on a
// small index so the conversion is visible. Also add() of 1,000 vectors as one
// row-major Float32Array vs an array of number[] rows.
// Usage: node bench/micro/input-types.mjs [--quick]
import { loadQuiverdb } from '../lib/quiverdb.mjs';
import { printTable, quick, runSuite } from './suite.mjs';

const { FlatIndex } = await loadQuiverdb();
const opts = quick ? { minTime: 0.1, maxTime: 0.3 } : {};
const rows = [];
for (const dim of [128, 768]) {
  const index = new FlatIndex({ dim, metric: 'cosine' });
  const n = 256;
  index.add(Float64Array.from({ length: n }, (_, i) => i), Float32Array.from({ length: n * dim }, () => Math.random()));
  const f32 = Float32Array.from({ length: dim }, () => Math.random());
  const arr = Array.from(f32);
  const results = await runSuite(`search d${dim}`, [
    { name: `search Float32Array d${dim}`, fn: () => index.search(f32, 10), extra: { dim, type: 'Float32Array' } },
    { name: `search number[] d${dim}`, fn: () => index.search(arr, 10), extra: { dim, type: 'number[]' } },
  ], opts);
  const base = results[0].hz;
  for (const r of results) rows.push([`search(query, 10) over ${n} vectors`, dim, r.type, `${(1e6 / r.hz).toFixed(2)} us`, `${(base / r.hz).toFixed(2)}x`, `±${r.rme.toFixed(1)}%`]);
}
{
  const dim = 128, n = 1000;
  const flat = Float32Array.from({ length: n * dim }, () => Math.random());
  const rowsArr = Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * dim, (i + 1) * dim)));
  const labels = Float64Array.from({ length: n }, (_, i) => i);
  const results = await runSuite('add', [
    { name: 'add Float32Array (row-major)', fn: () => new FlatIndex({ dim, metric: 'cosine' }).add(labels, flat), extra: { type: 'Float32Array (n*dim)' } },
    { name: 'add number[][]', fn: () => new FlatIndex({ dim, metric: 'cosine' }).add(labels, rowsArr), extra: { type: 'number[][]' } },
  ], opts);
  const base = results[0].hz;
  for (const r of results) rows.push([`add ${n} vectors to a new index`, dim, r.type, `${(1e6 / r.hz).toFixed(1)} us`, `${(base / r.hz).toFixed(2)}x`, `±${r.rme.toFixed(1)}%`]);
}
printTable('Input array types (time per call; slowdown vs Float32Array)', ['operation', 'dim', 'input', 'time', 'vs f32', 'rme'], rows);
