// Small statistics used by the runner and the reports.

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The p-th percentile (0..100) by linear interpolation between order statistics. */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const at = (p / 100) * (s.length - 1);
  const lo = Math.floor(at), hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}

/**
 * Per query, how many of its true k nearest (rows of `truth`, `truthK` per query) were
 * returned in the first k of its result row (`found`, `foundK` per query; -1 = no result).
 */
export function hitsPerQuery(found, foundK, truth, truthK, k, queryCount) {
  const hits = new Int32Array(queryCount);
  const wanted = new Set();
  for (let q = 0; q < queryCount; q++) {
    wanted.clear();
    for (let j = 0; j < k; j++) wanted.add(truth[q * truthK + j]);
    for (let j = 0; j < k; j++) if (wanted.has(found[q * foundK + j])) hits[q]++;
  }
  return hits;
}

/** recall@k: the share of the true k nearest that were returned (see hitsPerQuery). */
export function recallAtK(found, foundK, truth, truthK, k, queryCount) {
  return hitsPerQuery(found, foundK, truth, truthK, k, queryCount).reduce((a, b) => a + b, 0) / (queryCount * k);
}

/**
 * Queries that got none of their k true neighbours: on clustered data these are searches
 * stranded in another cluster, and each costs 1/queryCount of recall@k on its own.
 */
export function lostQueries(found, foundK, truth, truthK, k, queryCount) {
  return hitsPerQuery(found, foundK, truth, truthK, k, queryCount).filter((h) => h === 0).length;
}

/**
 * QPS at a target recall on one engine's curve (points in increasing ef order): between the
 * last point below the target and the first point reaching it, linear in recall and
 * geometric in QPS (QPS spans orders of magnitude). Returns { qps, bound }: bound is
 * 'interpolated', 'at-least' (the first point already reaches the target, so its QPS is a
 * lower bound) or null with qps null when the curve never reaches the target.
 */
export function qpsAtRecall(points, target) {
  const pts = points.filter((p) => Number.isFinite(p.recall) && p.qps > 0);
  const i = pts.findIndex((p) => p.recall >= target);
  if (i < 0) return { qps: null, bound: null };
  if (i === 0) return { qps: pts[0].qps, bound: 'at-least' };
  const lo = pts[i - 1], hi = pts[i];
  const t = (target - lo.recall) / (hi.recall - lo.recall);
  return { qps: Math.exp(Math.log(lo.qps) + t * (Math.log(hi.qps) - Math.log(lo.qps))), bound: 'interpolated' };
}
