// Retrieval evaluation on a BEIR dataset: index the corpus with a Retriever
// (title + text per document), run every judged query, and score the
// document rankings (chunk hits collapsed to their best-ranked document).
import { VectorStore } from '../../store/vector-store.js';
import { resolveDim, type Embedder } from '../embedders/types.js';
import { assertKnownKeys, optionKeys } from '../../util/options.js';
import { HashingEmbedder } from '../embedders/hashing.js';
import { Retriever } from '../retriever.js';
import type { FusionSpec } from '../fusion.js';
import { loadBeir } from './beir.js';
import { evaluateRankings, type EvalScores } from './metrics.js';

export interface BeirEvalOptions {
  /** BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv). */
  dataset: string;
  mode: 'keyword' | 'vector' | 'hybrid';
  /** Default: HashingEmbedder({ dim: 384 }) (lexical). */
  embedder?: Embedder;
  split?: string;
  chunkSize?: number;
  overlap?: number;
  /** Hybrid fusion (default RRF). */
  fusion?: FusionSpec;
  /** Evaluate only the first n queries (for quick runs). */
  limitQueries?: number;
  onProgress?: (message: string) => void;
}
export const BEIR_EVAL_OPTION_KEYS = optionKeys<BeirEvalOptions>()(
  'dataset', 'mode', 'embedder', 'split', 'chunkSize', 'overlap', 'fusion', 'limitQueries', 'onProgress',
);

export interface BeirEvalResult extends EvalScores {
  mode: string;
  embedder: string;
  documents: number;
  chunks: number;
  ingestMs: number;
  queryMedianMs: number;
}

export async function runBeirEval(options: BeirEvalOptions): Promise<BeirEvalResult> {
  if (options === null || typeof options !== 'object') throw new TypeError('runBeirEval options: expected { dataset, mode, ... }');
  assertKnownKeys(options, BEIR_EVAL_OPTION_KEYS, 'runBeirEval options');
  const { dataset, mode } = options;
  if (!['keyword', 'vector', 'hybrid'].includes(mode)) throw new TypeError(`mode: expected keyword, vector or hybrid, got ${JSON.stringify(mode)}`);
  const progress = options.onProgress ?? (() => undefined);
  const data = await loadBeir(dataset, options.split ?? 'test');
  const embedder = options.embedder ?? new HashingEmbedder({ dim: 384 });
  // An embedder that learns its dimension (OpenAI-compatible without --dimensions) is probed first.
  const store = new VectorStore({ dim: await resolveDim(embedder), metric: 'cosine' });
  const rag = new Retriever({
    store,
    embedder,
    keyword: mode !== 'vector',
    chunking: { chunkSize: options.chunkSize ?? 512, overlap: options.overlap ?? 50 },
  });
  progress(`indexing ${data.corpus.length} documents (${mode}, ${embedder.id})`);
  const t0 = performance.now();
  const batch = 500;
  for (let i = 0; i < data.corpus.length; i += batch) {
    const docs = data.corpus.slice(i, i + batch).map((d) => ({ id: d.id, text: d.title ? `${d.title}\n\n${d.text}` : d.text }));
    await rag.addDocuments(docs);
  }
  const ingestMs = performance.now() - t0;
  const queries = options.limitQueries ? data.queries.slice(0, options.limitQueries) : data.queries;
  progress(`running ${queries.length} queries`);
  const rankings = new Map<string, string[]>();
  const times: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    const hits = await rag.retrieve(q.text, { k: 150, mode, fetchK: 150, fusion: options.fusion });
    times.push(performance.now() - t);
    const ranking: string[] = [];
    const seen = new Set<string>();
    for (const h of hits) {
      if (seen.has(h.docId)) continue;
      seen.add(h.docId);
      ranking.push(h.docId);
      if (ranking.length === 100) break;
    }
    rankings.set(q.id, ranking);
  }
  const judged = new Map([...data.qrels].filter(([q]) => rankings.has(q)));
  times.sort((a, b) => a - b);
  return {
    ...evaluateRankings(rankings, judged),
    mode,
    embedder: embedder.id,
    documents: data.corpus.length,
    chunks: store.size,
    ingestMs,
    queryMedianMs: times[Math.floor(times.length / 2)] ?? 0,
  };
}
