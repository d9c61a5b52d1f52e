// quiverdb's QPS over each peer's at fixed recall targets, read off each engine's curve.
import { qpsAtRecall } from '../lib/stats.mjs';

export const RECALL_TARGETS = [0.9, 0.95, 0.99];

/** The (recall, QPS) points of one engine, in ef order, for mode 'single' or 'batch'. */
export function curve(record, mode) {
  return (record.search ?? []).map((p) => ({ ef: p.ef, recall: p.recall, qps: p[mode].qps }));
}

/**
 * QPS at `target` on a record's curve. An exact engine's one point holds at every recall
 * up to its own, so it is a plain figure there, not a bound.
 */
export function qpsAt(record, mode, target) {
  const v = qpsAtRecall(curve(record, mode), target);
  return record.kind === 'exact' && v.bound === 'at-least' ? { ...v, bound: 'exact' } : v;
}

/**
 * quiverdb's QPS over each peer's of the same kind (HNSW against HNSW, exact against
 * exact) at each recall target, for single queries and for batches.
 */
export function computeRatios(records, targets = RECALL_TARGETS) {
  const ok = records.filter((r) => r.status === 'ok' && r.search?.length);
  const ours = ok.filter((r) => r.engine.startsWith('quiverdb-'));
  const rows = [];
  for (const q of ours) {
    for (const peer of ok) {
      if (peer.engine.startsWith('quiverdb-') || peer.kind !== q.kind) continue;
      const row = { quiverdb: q.engine, peer: peer.engine, targets: {} };
      for (const mode of ['single', 'batch']) {
        row.targets[mode] = targets.map((target) => {
          const a = qpsAt(q, mode, target);
          const b = qpsAt(peer, mode, target);
          return {
            recall: target, quiverdbQps: a.qps, peerQps: b.qps, quiverdbBound: a.bound, peerBound: b.bound,
            ratio: a.qps && b.qps ? a.qps / b.qps : null,
          };
        });
      }
      rows.push(row);
    }
  }
  return rows;
}
