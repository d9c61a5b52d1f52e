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
 * One query per call, `reps` times over `count` queries (cycling through the query set when
 * count exceeds it, so short query sets still give long enough timing windows). Latencies
 * are taken around the engine call only; labels (of the first pass) are copied afterwards.
 */
export function jsSingleQueries(engine, prepared, { k, ef, count, reps, allow }) {
  const nq = prepared.length;
  const labels = new Int32Array(Math.min(count, nq) * k);
  const latenciesMs = [];
  for (let r = 0; r < reps; r++) {
    const rep = new Array(count);
    for (let i = 0; i < count; i++) {
      const q = prepared[i % nq];
      const t0 = nowMs();
      const found = allow ? engine.searchFiltered(q, k, ef, allow) : engine.search(q, k, ef);
      rep[i] = nowMs() - t0;
      if (i < nq) copyRow(labels, i, found, k);
    }
    latenciesMs.push(rep);
  }
  return { latenciesMs, labels };
}

/** All queries in one call with `threads` threads; each of `reps` timings averages `calls` calls. */
export function jsBatch(engine, queries, nq, { k, ef, threads, reps, calls = 1 }) {
  const seconds = [];
  let labels = null;
  for (let r = 0; r < reps; r++) {
    const t0 = nowMs();
    for (let c = 0; c < calls; c++) labels = engine.searchBatch(queries, nq, k, ef, threads);
    seconds.push((nowMs() - t0) / 1000 / calls);
  }
  return { seconds, labels };
}

/**
 * jsSingleQueries for engines whose search is async (capabilities.asyncSearch: LanceDB):
 * the same protocol, each call awaited before the next starts (still one query at a time),
 * the await inside the timed span. A separate loop so that synchronous engines are timed
 * exactly as before, with no promise in their path.
 */
export async function jsSingleQueriesAsync(engine, prepared, { k, ef, count, reps, allow }) {
  const nq = prepared.length;
  const labels = new Int32Array(Math.min(count, nq) * k);
  const latenciesMs = [];
  for (let r = 0; r < reps; r++) {
    const rep = new Array(count);
    for (let i = 0; i < count; i++) {
      const q = prepared[i % nq];
      const t0 = nowMs();
      const found = await (allow ? engine.searchFiltered(q, k, ef, allow) : engine.search(q, k, ef));
      rep[i] = nowMs() - t0;
      if (i < nq) copyRow(labels, i, found, k);
    }
    latenciesMs.push(rep);
  }
  return { latenciesMs, labels };
}

/** jsBatch for engines whose searchBatch is async: each call awaited inside the timed span. */
export async function jsBatchAsync(engine, queries, nq, { k, ef, threads, reps, calls = 1 }) {
  const seconds = [];
  let labels = null;
  for (let r = 0; r < reps; r++) {
    const t0 = nowMs();
    for (let c = 0; c < calls; c++) labels = await engine.searchBatch(queries, nq, k, ef, threads);
    seconds.push((nowMs() - t0) / 1000 / calls);
  }
  return { seconds, labels };
}

export { nowMs };
