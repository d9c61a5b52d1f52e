// Unknown option keys are TypeErrors with a suggestion in every options bag of
// the RAG layer and the LangChain adapter (issue 12). For every call that takes
// options: each valid key is accepted (alone, next to the required ones), and
// every misspelling of each key (a character dropped, two adjacent characters
// swapped, a change of case) is rejected with a TypeError that names the
// misspelt key and the call, and suggests the intended key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { misspellings } from './helpers/misspellings.js';
import { SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { chunkMarkdown, chunkText } from '../src/rag/chunking/index.js';
import { CHUNK_OPTION_KEYS } from '../src/rag/chunking/options.js';
import { buildContext, BUILD_CONTEXT_OPTION_KEYS } from '../src/rag/context.js';
import { CachedEmbedder, EMBEDDING_CACHE_OPTION_KEYS } from '../src/rag/embedders/cache.js';
import { HashingEmbedder, HASHING_EMBEDDER_OPTION_KEYS } from '../src/rag/embedders/hashing.js';
import { OpenAICompatibleEmbedder, OPENAI_COMPATIBLE_EMBEDDER_OPTION_KEYS } from '../src/rag/embedders/openai-compatible.js';
import { TransformersEmbedder, TRANSFORMERS_EMBEDDER_OPTION_KEYS } from '../src/rag/embedders/transformers.js';
import { BEIR_EVAL_OPTION_KEYS, runBeirEval } from '../src/rag/eval/run.js';
import { fuse, RRF_FUSION_KEYS, WEIGHTED_FUSION_KEYS, weightedFusion } from '../src/rag/fusion.js';
import { BM25_OPTION_KEYS, BM25_SEARCH_OPTION_KEYS, BM25Index } from '../src/rag/keyword/bm25.js';
import { createTokenizer, TOKENIZER_OPTION_KEYS } from '../src/rag/keyword/tokenize.js';
import {
  Retriever,
  RETRIEVE_MMR_KEYS,
  RETRIEVE_OPTION_KEYS,
  RETRIEVER_CHUNKING_KEYS,
  RETRIEVER_DOCUMENT_KEYS,
  RETRIEVER_EMBEDDING_CACHE_KEYS,
  RETRIEVER_OPTION_KEYS,
} from '../src/rag/retriever.js';
import { SEMANTIC_CACHE_LOOKUP_KEYS, SEMANTIC_CACHE_OPTION_KEYS, SEMANTIC_CACHE_SET_KEYS, SemanticCache } from '../src/rag/semantic-cache.js';
import { estimateTokens } from '../src/rag/tokens.js';
import {
  QUIVER_ADD_OPTION_KEYS,
  QUIVER_DELETE_KEYS,
  QUIVER_MMR_OPTION_KEYS,
  QUIVER_VECTOR_STORE_ARGS_KEYS,
  QuiverVectorStore,
} from '../src/langchain/vector-store.js';
import { VectorStore } from '../src/store/vector-store.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const DIM = 32;
const embedder = new HashingEmbedder({ dim: DIM });
const store = () => new VectorStore({ dim: DIM, metric: 'cosine' });
let retriever: Retriever;
const lc = () => new QuiverVectorStore(new SyntheticEmbeddings({ vectorSize: 8 }));

type Opts = Record<string, unknown>;
interface Bag {
  /** The `where` of the error message. */
  where: string;
  keys: readonly string[];
  /** A valid value per key. */
  values: Opts;
  /** Keys that must be present for the call to be valid (kept in every case except their own misspellings). */
  required?: Opts;
  /** Other keys a key needs to be valid (minRerankScore needs rerank). */
  companions?: Record<string, Opts>;
  call: (options: Opts) => unknown;
}

const bags: Bag[] = [
  {
    where: 'chunkText options',
    keys: CHUNK_OPTION_KEYS,
    values: { chunkSize: 64, overlap: 8, minChunkSize: 4, tokenCounter: estimateTokens, metadata: { a: 1 } },
    call: (o) => chunkText('Some text. More text.', o),
  },
  {
    where: 'chunkMarkdown options',
    keys: CHUNK_OPTION_KEYS,
    values: { chunkSize: 64, overlap: 8, minChunkSize: 4, tokenCounter: estimateTokens, metadata: { a: 1 } },
    call: (o) => chunkMarkdown('# A\n\nSome text.', o),
  },
  {
    where: 'Retriever options',
    keys: RETRIEVER_OPTION_KEYS,
    values: { keyword: true, chunking: {}, embeddingCache: false, embedBatchSize: 8 },
    required: { store: store(), embedder },
    call: (o) => new Retriever(o as never),
  },
  {
    where: 'Retriever options.chunking',
    keys: RETRIEVER_CHUNKING_KEYS,
    values: { chunkSize: 64, overlap: 8, minChunkSize: 4, tokenCounter: estimateTokens, metadata: { a: 1 }, format: 'markdown' },
    call: (o) => new Retriever({ store: store(), embedder, chunking: o }),
  },
  {
    where: 'Retriever options.embeddingCache',
    keys: RETRIEVER_EMBEDDING_CACHE_KEYS,
    values: { maxEntries: 10, persist: false },
    call: (o) => new Retriever({ store: store(), embedder, embeddingCache: o }),
  },
  {
    where: 'Retriever options.keyword',
    keys: BM25_OPTION_KEYS,
    values: { stopWords: true, stem: false, k1: 1.2, b: 0.5, tokenize: (t: string) => t.split(' ') },
    call: (o) => new Retriever({ store: store(), embedder, keyword: o }),
  },
  {
    where: 'Retriever.addDocuments docs[0]',
    keys: RETRIEVER_DOCUMENT_KEYS,
    values: { metadata: { a: 1 }, format: 'text' },
    required: { id: 'doc', text: 'A document.' },
    call: (o) => retriever.addDocuments([o as never]),
  },
  {
    where: 'Retriever.retrieve options',
    keys: RETRIEVE_OPTION_KEYS,
    values: {
      k: 3,
      mode: 'hybrid',
      filter: { _docId: 'seed' },
      fusion: 'rrf',
      fetchK: 10,
      mmr: { lambda: 0.5 },
      rerank: (_q: string, c: unknown[]) => c.map(() => 1),
      minScore: 0,
      minRerankScore: 0,
      expand: 'chunk',
      queryVector: new Float32Array(DIM).fill(0.1),
    },
    companions: { minRerankScore: { rerank: (_q: string, c: unknown[]) => c.map(() => 1) } },
    call: (o) => retriever.retrieve('seed text', o),
  },
  {
    where: 'Retriever.retrieve options.mmr',
    keys: RETRIEVE_MMR_KEYS,
    values: { lambda: 0.3, fetchK: 5 },
    call: (o) => retriever.retrieve('seed text', { mmr: o }),
  },
  {
    where: 'fusion options',
    keys: [...RRF_FUSION_KEYS, ...WEIGHTED_FUSION_KEYS],
    values: { rrfK: 10, weights: { vector: 1, keyword: 1 } },
    call: (o) => fuse({ vector: [], keyword: [] }, o as never),
  },
  {
    where: 'fusion options',
    keys: RRF_FUSION_KEYS,
    values: { rrfK: 10 },
    call: (o) => retriever.retrieve('seed text', { fusion: o as never }),
  },
  {
    where: 'fusion.weights (list names)',
    keys: ['vector', 'keyword'],
    values: { vector: 0.5, keyword: 0.5 },
    call: (o) => weightedFusion({ vector: [], keyword: [] }, o as never),
  },
  {
    where: 'BM25Index options',
    keys: BM25_OPTION_KEYS,
    values: { stopWords: ['the'], stem: true, k1: 1.2, b: 0.5, tokenize: (t: string) => t.split(' ') },
    call: (o) => new BM25Index(o),
  },
  {
    where: 'BM25Index.search options',
    keys: BM25_SEARCH_OPTION_KEYS,
    values: { k: 3, filter: () => true },
    call: (o) => new BM25Index().search('query', o),
  },
  { where: 'createTokenizer options', keys: TOKENIZER_OPTION_KEYS, values: { stopWords: false, stem: false }, call: (o) => createTokenizer(o) },
  { where: 'HashingEmbedder options', keys: HASHING_EMBEDDER_OPTION_KEYS, values: { dim: 16, ngrams: 1, stem: false, stopWords: false }, call: (o) => new HashingEmbedder(o) },
  {
    where: 'OpenAICompatibleEmbedder options',
    keys: OPENAI_COMPATIBLE_EMBEDDER_OPTION_KEYS,
    values: {
      baseURL: 'http://127.0.0.1:9/v1',
      apiKey: 'sk-x',
      dimensions: 4,
      sendDimensions: false,
      batchSize: 2,
      concurrency: 1,
      timeoutMs: 1000,
      maxRetries: 0,
      retryBaseMs: 1,
      maxRetryDelayMs: 10,
      headers: { 'x-a': 'b' },
    },
    required: { model: 'm' },
    call: (o) => new OpenAICompatibleEmbedder(o as never),
  },
  {
    where: 'TransformersEmbedder.load options',
    keys: TRANSFORMERS_EMBEDDER_OPTION_KEYS,
    values: { pooling: 'mean', normalize: true, dtype: 'fp32', batchSize: 4 },
    required: { modelPath: '/nonexistent/model' },
    call: (o) => TransformersEmbedder.load(o as never), // accepted keys then fail on the missing folder
  },
  { where: 'CachedEmbedder options', keys: EMBEDDING_CACHE_OPTION_KEYS, values: { maxEntries: 5, path: '/tmp/cache.bin' }, call: (o) => new CachedEmbedder(embedder, o) },
  {
    where: 'SemanticCache options',
    keys: SEMANTIC_CACHE_OPTION_KEYS,
    values: { threshold: 0.9, ttlMs: 1000, store: store() },
    required: { embedder },
    call: (o) => new SemanticCache(o as never),
  },
  { where: 'SemanticCache.lookup options', keys: SEMANTIC_CACHE_LOOKUP_KEYS, values: { model: 'gpt' }, call: (o) => new SemanticCache({ embedder }).lookup('p', o) },
  { where: 'SemanticCache.set options', keys: SEMANTIC_CACHE_SET_KEYS, values: { model: 'gpt', ttlMs: 1000 }, call: (o) => new SemanticCache({ embedder }).set('p', 'r', o) },
  {
    where: 'buildContext options',
    keys: BUILD_CONTEXT_OPTION_KEYS,
    values: { maxTokens: 100, separator: '\n', label: () => '', tokenCounter: estimateTokens },
    call: (o) => buildContext([{ id: 'a', text: 'text' }], o),
  },
  {
    where: 'runBeirEval options',
    keys: BEIR_EVAL_OPTION_KEYS,
    values: { embedder, split: 'test', chunkSize: 64, overlap: 8, fusion: 'rrf', limitQueries: 1, onProgress: () => undefined },
    required: { dataset: '/nonexistent/beir', mode: 'keyword' },
    call: (o) => runBeirEval(o as never), // accepted keys then fail on the missing dataset
  },
  { where: 'QuiverVectorStore args', keys: QUIVER_VECTOR_STORE_ARGS_KEYS, values: { store: new VectorStore({ dim: 8 }), metric: 'cosine' }, call: (o) => new QuiverVectorStore(new SyntheticEmbeddings({ vectorSize: 8 }), o) },
  { where: 'QuiverVectorStore.addVectors options', keys: QUIVER_ADD_OPTION_KEYS, values: { ids: ['a'] }, call: (o) => lc().addVectors([[1, 0, 0, 0, 0, 0, 0, 0]], [{ pageContent: 'a', metadata: {} }], o) },
  { where: 'QuiverVectorStore.addDocuments options', keys: QUIVER_ADD_OPTION_KEYS, values: { ids: ['a'] }, call: (o) => lc().addDocuments([{ pageContent: 'a', metadata: {} }], o) },
  { where: 'QuiverVectorStore.delete params', keys: QUIVER_DELETE_KEYS, values: { ids: ['a'], filter: { g: 1 } }, call: (o) => lc().delete(o) },
  {
    where: 'QuiverVectorStore.maxMarginalRelevanceSearch options',
    keys: QUIVER_MMR_OPTION_KEYS,
    values: { fetchK: 4, lambda: 0.5, filter: { g: 1 } },
    required: { k: 2 },
    call: (o) => lc().maxMarginalRelevanceSearch('q', o as never),
  },
];


/** The error the call throws (synchronously or by rejecting), or undefined. */
async function errorOf(call: () => unknown): Promise<Error | undefined> {
  try {
    await call();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('unknown option keys in rag and langchain (issue 12)', () => {
  it('setup', async () => {
    retriever = new Retriever({ store: store(), embedder, chunking: { chunkSize: 32, overlap: 0 } });
    await retriever.addDocuments([{ id: 'seed', text: 'Seed text about vectors. Another sentence about keywords.' }]);
    dirs.push(mkdtempSync(join(tmpdir(), 'rag-options-')));
  });

  let accepted = 0;
  let rejected = 0;
  let suggested = 0;
  for (const bag of bags) {
    it(`${bag.where}: every valid key is accepted; every misspelling is a TypeError naming it`, async () => {
      const all = new Set([...bag.keys]);
      for (const key of bag.keys) {
        const value = key in bag.values ? bag.values[key] : bag.required?.[key];
        expect(value === undefined && !(key in (bag.values ?? {})), `${bag.where}: no value for ${key}`).toBe(false);
        const options = { ...bag.required, ...bag.companions?.[key], [key]: value };
        const err = await errorOf(() => bag.call(options));
        expect(err?.message ?? '', `${bag.where}: valid key ${key}`).not.toMatch(/unknown option/);
        accepted++;
        for (const typo of misspellings(key)) {
          if (all.has(typo)) continue;
          const { [key]: _dropped, ...rest } = options;
          const bad = { ...rest, [typo]: value };
          const e = await errorOf(() => bag.call(bad));
          expect(e, `${bag.where}: ${typo} (for ${key}) was accepted`).toBeInstanceOf(TypeError);
          expect(e!.message).toMatch(new RegExp(`^${escape(bag.where)}: unknown option '${escape(typo)}' \\(`));
          rejected++;
          if (e!.message.includes(`did you mean '${key}'?`)) suggested++;
        }
      }
    });
  }

  it('suggests the intended key for nearly every misspelling', () => {
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(1000);
    // Ties (a one-letter key, 'b' vs 'k1') may suggest another key; nearly all name the intended one.
    expect(suggested / rejected).toBeGreaterThan(0.95);
    console.log(`option keys: ${accepted} accepted, ${rejected} misspellings rejected, ${suggested} with the intended key suggested`);
  });
});
