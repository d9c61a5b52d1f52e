// What a filtered store query pays to hand its filter to native code: the filter's bit set
// as words (AllowList.fromBits, since 2026-12-06) vs the previous path, a Float64Array of
// the allowed slots (BitSet.toLabels) converted natively into a bit set again.
//   node bench/micro/allow-list-from-bits.mjs [--n 1000000] [--reps 50]
// (imports ../../dist; run `npm run build:ts` first)
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { median } from '../lib/stats.mjs';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '50' } } });
const { AllowList } = await import(new URL('../../dist/index.js', import.meta.url).href);
const n = Number(args.n), reps = Number(args.reps);

for (const share of [0.5, 0.1, 0.01]) {
  const words = new Uint32Array(Math.ceil(n / 32));
  let count = 0;
  for (let i = 0; i < n; i++) if (((i * 2654435761) >>> 0) / 2 ** 32 < share) { words[i >>> 5] |= 1 << (i & 31); count++; }
  const toLabels = () => {
    // BitSet.toLabels: the set bits, ascending
    const out = new Float64Array(count);
    let m = 0;
    for (let w = 0; w < words.length; w++) for (let b = words[w]; b; b &= b - 1) out[m++] = w * 32 + (31 - Math.clz32(b & -b));
    return out;
  };
  const time = (fn) => {
    const ts = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      fn();
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  const viaLabels = time(() => new AllowList(toLabels()));
  const viaBits = time(() => AllowList.fromBits(words));
  console.log(`${n.toLocaleString()} slots, ${(share * 100).toFixed(0)}% allowed (${count.toLocaleString()}): labels ${viaLabels.toFixed(3)} ms, bits ${viaBits.toFixed(3)} ms (${(viaLabels / viaBits).toFixed(1)}x)`);
}
