// The cost of crossing from JS into the native addon: an empty JS function, the cheapest
// native call (simdLevel), a 1-dim kernel call, and a top-1 search on a one-vector
// FlatIndex (argument checks + result arrays), with benchmark.js.
// Usage: node bench/micro/call-overhead.mjs [--quick]
import { addon } from '../native-addon.mjs';
import { loadQuiverdb } from '../lib/quiverdb.mjs';
import { printTable, quick, runSuite } from './suite.mjs';

const { FlatIndex, simdLevel } = await loadQuiverdb();
const tiny = new FlatIndex({ dim: 4, metric: 'euclidean' });
tiny.add([1], [Float32Array.from([1, 2, 3, 4])]);
const q4 = Float32Array.from([1, 1, 1, 1]);
const one = Float32Array.from([1]);
let sink = 0;
const noop = (x) => x;

const rows = await runSuite('call overhead', [
  { name: 'empty JS function', fn: () => { sink += noop(1); } },
  { name: 'native simdLevel() (raw addon)', fn: () => { sink += addon.simdLevel().length; } },
  { name: 'simdLevel() through the package', fn: () => { sink += simdLevel().length; } },
  { name: 'native kernelDistance, dim 1', fn: () => { sink += addon.kernelDistance('scalar', 'dot', one, one); } },
  { name: 'FlatIndex.search, 1 vector, k 1', fn: () => { sink += tiny.search(q4, 1).labels[0]; } },
], quick ? { minTime: 0.1, maxTime: 0.3 } : {});
printTable('JS -> native call overhead', ['call', 'calls/s', 'ns/call', 'rme'],
  rows.map((r) => [r.name, `${(r.hz / 1e6).toFixed(2)}M`, (1e9 / r.hz).toFixed(0), `±${r.rme.toFixed(1)}%`]));
if (sink === 42) console.log('');
