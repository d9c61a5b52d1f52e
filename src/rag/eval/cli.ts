// `quiver eval --dataset <BEIR folder> --mode keyword|vector|hybrid`: prints
// nDCG@10, Recall@100 and MRR@10. Vector and hybrid modes use the hashing
// embedder unless --embedder openai|transformers is given.
import { parseArgs } from 'node:util';
import type { Embedder } from '../embedders/types.js';
import { HashingEmbedder } from '../embedders/hashing.js';
import { OpenAICompatibleEmbedder } from '../embedders/openai-compatible.js';
import { TransformersEmbedder } from '../embedders/transformers.js';
import { CachedEmbedder } from '../embedders/cache.js';
import { runBeirEval, type BeirEvalResult } from './run.js';

export const EVAL_USAGE = `Usage: quiver eval --dataset <BEIR folder> [--mode keyword|vector|hybrid|all] [options]

  --dataset <dir>       BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv
  --mode <m>            keyword, vector, hybrid, or all (default hybrid)
  --split <name>        qrels split (default test)
  --embedder <e>        hashing (default), openai, transformers
  --dim <n>             hashing embedder dimension (default 384)
  --base-url <url>      openai: API root (default https://api.openai.com/v1); key from OPENAI_API_KEY
  --model <name>        openai: model name
  --dimensions <n>      openai: vector length
  --model-path <dir>    transformers: local model folder
  --chunk-size <n>      chunk size in tokens (default 512)
  --vector-weight <w>   hybrid: weighted fusion with this vector weight (keyword 1 - w) instead of RRF
  --limit <n>           only the first n queries
  --json                print JSON instead of a table
`;

async function makeEmbedder(v: Record<string, string | boolean | undefined>): Promise<Embedder> {
  const kind = (v.embedder as string | undefined) ?? 'hashing';
  if (kind === 'hashing') return new HashingEmbedder({ dim: v.dim ? Number(v.dim) : 384 });
  if (kind === 'openai') {
    if (!v.model) throw new Error('--model is required with --embedder openai');
    const inner = new OpenAICompatibleEmbedder({
      baseURL: v['base-url'] as string | undefined,
      model: v.model as string,
      dimensions: v.dimensions ? Number(v.dimensions) : undefined,
    });
    return new CachedEmbedder(inner, { maxEntries: 100_000 });
  }
  if (kind === 'transformers') {
    if (!v['model-path']) throw new Error('--model-path is required with --embedder transformers');
    return TransformersEmbedder.load({ modelPath: v['model-path'] as string });
  }
  throw new Error(`--embedder: expected hashing, openai or transformers, got ${kind}`);
}

function formatTable(results: BeirEvalResult[]): string {
  const rows = [
    ['mode', 'nDCG@10', 'Recall@100', 'MRR@10', 'queries', 'chunks', 'ingest s', 'query ms (median)'],
    ...results.map((r) => [
      r.mode,
      r.ndcg10.toFixed(4),
      r.recall100.toFixed(4),
      r.mrr10.toFixed(4),
      String(r.queries),
      String(r.chunks),
      (r.ingestMs / 1000).toFixed(2),
      r.queryMedianMs.toFixed(3),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
}

/** Runs the eval command with argv (without "eval"); returns the exit code. */
export async function evalCommand(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dataset: { type: 'string' },
        mode: { type: 'string', default: 'hybrid' },
        split: { type: 'string', default: 'test' },
        embedder: { type: 'string' },
        dim: { type: 'string' },
        'base-url': { type: 'string' },
        model: { type: 'string' },
        dimensions: { type: 'string' },
        'model-path': { type: 'string' },
        'chunk-size': { type: 'string' },
        'vector-weight': { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    err(`${(e as Error).message}\n\n${EVAL_USAGE}`);
    return 2;
  }
  if (values.help) {
    out(EVAL_USAGE);
    return 0;
  }
  if (!values.dataset) {
    err(`--dataset is required\n\n${EVAL_USAGE}`);
    return 2;
  }
  const modes = values.mode === 'all' ? (['keyword', 'vector', 'hybrid'] as const) : [values.mode as 'keyword' | 'vector' | 'hybrid'];
  for (const m of modes) {
    if (!['keyword', 'vector', 'hybrid'].includes(m)) {
      err(`--mode: expected keyword, vector, hybrid or all, got ${m}`);
      return 2;
    }
  }
  let fusion: { weights: { vector: number; keyword: number } } | undefined;
  if (values['vector-weight'] !== undefined) {
    const w = Number(values['vector-weight']);
    if (!(w >= 0 && w <= 1)) {
      err(`--vector-weight: expected a number in [0, 1], got ${values['vector-weight']}`);
      return 2;
    }
    fusion = { weights: { vector: w, keyword: 1 - w } };
  }
  try {
    const embedder = await makeEmbedder(values);
    const results: BeirEvalResult[] = [];
    for (const mode of modes) {
      results.push(
        await runBeirEval({
          dataset: values.dataset as string,
          mode,
          split: values.split as string,
          embedder,
          chunkSize: values['chunk-size'] ? Number(values['chunk-size']) : undefined,
          fusion,
          limitQueries: values.limit ? Number(values.limit) : undefined,
          onProgress: values.json ? undefined : (m) => err(m),
        }),
      );
    }
    out(values.json ? JSON.stringify(results, null, 2) : `${formatTable(results)}\nembedder: ${results[0].embedder}`);
    return 0;
  } catch (e) {
    err(`quiver eval: ${(e as Error).message}`);
    return 1;
  }
}
