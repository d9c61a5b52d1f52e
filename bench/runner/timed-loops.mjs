// The timed loops for engines driven from JS. Engines that time themselves (the FAISS
// Python child) provide runSingleQueries/runBatch directly and skip these.

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function copyRow(out, row, labels, k) {
  const at = row * k;
  const m = Math.min(k, labels.length);
  for (let j = 0; j < m; j++) out[at + j] = Number(labels[j]);
  for (let j = m; j < k; j++) out[at + j] = -1;
}

/**
 * One query per call, `reps` times over the first `count` queries. Latencies are taken
 * around the engine call only; copying labels out happens after the clock stops.
 */
export function jsSingleQueries(engine, prepared, { k, ef, count, reps, allow }) {
  const labels = new Int32Array(count * k);
  const latenciesMs = [];
  for (let r = 0; r < reps; r++) {
    const rep = new Array(count);
    for (let i = 0; i < count; i++) {
      const t0 = nowMs();
      const found = allow ? engine.searchFiltered(prepared[i], k, ef, allow) : engine.search(prepared[i], k, ef);
      rep[i] = nowMs() - t0;
      copyRow(labels, i, found, k);
    }
    latenciesMs.push(rep);
  }
  return { latenciesMs, labels };
}

/** All queries in one call with `threads` threads, `reps` times. */
export function jsBatch(engine, queries, nq, { k, ef, threads, reps }) {
  const seconds = [];
  let labels = null;
  for (let r = 0; r < reps; r++) {
    const t0 = nowMs();
    labels = engine.searchBatch(queries, nq, k, ef, threads);
    seconds.push((nowMs() - t0) / 1000);
  }
  return { seconds, labels };
}

export { nowMs };
