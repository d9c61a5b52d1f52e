// Ranking metrics as BEIR/pytrec_eval compute them: nDCG@k with graded gains
// (gain = relevance, discount log2(rank + 1)), Recall@k and MRR@k.

/** nDCG@k of a ranking (doc ids, best first) against graded judgments. */
export function ndcgAt(ranking: string[], relevant: Map<string, number>, k: number): number {
  let dcg = 0;
  const n = Math.min(k, ranking.length);
  for (let i = 0; i < n; i++) dcg += (relevant.get(ranking[i]) ?? 0) / Math.log2(i + 2);
  const ideal = [...relevant.values()].sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  for (let i = 0; i < ideal.length; i++) idcg += ideal[i] / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Fraction of the relevant documents found in the top k. */
export function recallAt(ranking: string[], relevant: Map<string, number>, k: number): number {
  if (relevant.size === 0) return 0;
  let found = 0;
  for (const id of ranking.slice(0, k)) if (relevant.has(id)) found++;
  return found / relevant.size;
}

/** Reciprocal rank of the first relevant document within the top k (0 if none). */
export function mrrAt(ranking: string[], relevant: Map<string, number>, k: number): number {
  const n = Math.min(k, ranking.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranking[i])) return 1 / (i + 1);
  return 0;
}

export interface EvalScores {
  ndcg10: number;
  recall100: number;
  mrr10: number;
  queries: number;
}

/** Mean nDCG@10, Recall@100 and MRR@10 over queries (rankings keyed by query id). */
export function evaluateRankings(rankings: Map<string, string[]>, qrels: Map<string, Map<string, number>>): EvalScores {
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  let n = 0;
  for (const [q, relevant] of qrels) {
    const ranking = rankings.get(q) ?? [];
    ndcg += ndcgAt(ranking, relevant, 10);
    recall += recallAt(ranking, relevant, 100);
    mrr += mrrAt(ranking, relevant, 10);
    n++;
  }
  return { ndcg10: n ? ndcg / n : 0, recall100: n ? recall / n : 0, mrr10: n ? mrr / n : 0, queries: n };
}
