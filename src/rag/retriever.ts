// Retriever: documents in, ranked passages out. Chunks documents, embeds the
// chunks (batched, optionally cached), upserts them into a VectorStore and a
// BM25 index kept beside it, and answers queries by vector, keyword or hybrid
// search with fusion, optional reranking, a score floor, MMR and parent
// expansion. The retrieve options and their checks are in retrieve-options.ts,
// hits and their expansion in hits.ts.
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkMarkdown } from './chunking/chunk-markdown.js';
import { chunkText } from './chunking/chunk-text.js';
import { CHUNK_OPTION_KEYS, resolveChunkOptions, type Chunk, type ChunkOptions } from './chunking/options.js';
import { chunkId, chunkMetadata, coveringSpan, F, isReservedKey, paragraphSpans } from './chunk-records.js';
import { CachedEmbedder } from './embedders/cache.js';
import { checkEmbedder, knownDim, type Embedder } from './embedders/types.js';
import { fuse, type ScoredId } from './fusion.js';
import { BM25_OPTION_KEYS, BM25Index, type BM25Options, type PreparedDocuments } from './keyword/bm25.js';
import { expandHits, toHit, type Candidate, type RetrievedHit } from './hits.js';
import { cosineSimilarity, maximalMarginalRelevance } from './mmr.js';
import { checkRetrieveOptions, type RetrieveOptions } from './retrieve-options.js';
import { assertKnownKeys, optionKeys } from '../util/options.js';
import { describeValue } from './tokens.js';
import type { VectorStoreApi, VectorStoreExtras } from '../store/api.js';
import type { Filter, Metadata } from '../store/types.js';

type Meta = Record<string, unknown>;

export type { RetrievedHit } from './hits.js';
export {
  RETRIEVE_MMR_KEYS, RETRIEVE_OPTION_KEYS, type RerankCandidate, type RetrieveMmrOptions, type RetrieveOptions,
} from './retrieve-options.js';

/**
 * What the Retriever needs from a store: quiverdb's VectorStore (in memory or durable) or
 * any engine of the same API (quiverdb/pg's PgVectorStore). `size`, when the engine knows it
 * synchronously, lets empty stores be skipped; `directory` is where a durable store keeps
 * the keyword index and embedding cache beside it.
 */
export type RetrieverStore = Pick<VectorStoreApi, 'dim' | 'metric' | 'upsert' | 'delete' | 'query' | 'get' | 'count' | 'list'> & VectorStoreExtras & {
  close?(): Promise<void>;
};

export interface RetrieverOptions {
  /**
   * Where chunks live; its `dim` must be the embedder's. An embedder that
   * learns its dimension from its first response (OpenAICompatibleEmbedder
   * without `dimensions`) is checked against store.dim at its first response;
   * to size a new store for it, `new VectorStore({ dim: await embedder.probe() })`.
   */
  store: RetrieverStore;
  embedder: Embedder;
  /** Keep a BM25 index for keyword and hybrid search (default true), or its options. */
  keyword?: boolean | BM25Options;
  chunking?: RetrieverChunking;
  /**
   * Cache embeddings (LRU by sha256(embedder id + text), default true with
   * 10,000 entries). With { persist: true } and a durable store, save() writes
   * the cache beside the store and the next Retriever on it reloads it.
   */
  embeddingCache?: boolean | RetrieverEmbeddingCacheOptions;
  /** Texts per embed() call while ingesting (default 256). */
  embedBatchSize?: number;
}
export const RETRIEVER_OPTION_KEYS = optionKeys<RetrieverOptions>()('store', 'embedder', 'keyword', 'chunking', 'embeddingCache', 'embedBatchSize');

/** Chunking options of a Retriever: chunkText/chunkMarkdown's, and which of the two. */
export interface RetrieverChunking extends ChunkOptions {
  /** 'text' (default) or 'markdown' (split at headers first). */
  format?: 'text' | 'markdown';
}
export const RETRIEVER_CHUNKING_KEYS = optionKeys<RetrieverChunking>()(...(CHUNK_OPTION_KEYS as readonly (keyof ChunkOptions)[]), 'format');

export interface RetrieverEmbeddingCacheOptions {
  /** Most vectors kept (default 10,000). */
  maxEntries?: number;
  /** Save the cache beside a durable store on save(), reload it on open (default false). */
  persist?: boolean;
}
export const RETRIEVER_EMBEDDING_CACHE_KEYS = optionKeys<RetrieverEmbeddingCacheOptions>()('maxEntries', 'persist');

export interface RetrieverDocument {
  id: string;
  text: string;
  metadata?: Meta;
  /** Overrides chunking.format for this document. */
  format?: 'text' | 'markdown';
}
export const RETRIEVER_DOCUMENT_KEYS = optionKeys<RetrieverDocument>()('id', 'text', 'metadata', 'format');

const KEYWORD_FILE = 'quiver-rag-bm25.json';

/**
 * Where the keyword index and embedding cache are kept beside a durable store; none for an
 * in-memory store, nor for a read-only follower (its directory belongs to the writer).
 */
function sidecarDir(store: RetrieverStore): string | undefined {
  return store.readOnly ? undefined : store.directory;
}
const CACHE_FILE = 'quiver-rag-embeddings.cache';

export class Retriever {
  readonly store: RetrieverStore;
  readonly embedder: Embedder;
  private readonly chunking: RetrieverChunking;
  private readonly keywordOptions: BM25Options | null;
  private readonly embedBatchSize: number;
  private keyword: BM25Index | null = null;
  private readyPromise: Promise<void> | null = null;
  private keywordFileStale = false;
  private writeChain: Promise<unknown> = Promise.resolve();

  constructor(options: RetrieverOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected { store, embedder }, got ${describeValue(options)}`);
    assertKnownKeys(options, RETRIEVER_OPTION_KEYS, 'Retriever options');
    const store = options.store;
    if (store === null || typeof store !== 'object' || typeof store.query !== 'function' || typeof store.upsert !== 'function') {
      throw new TypeError(`store: expected a VectorStore, got ${describeValue(store)}`);
    }
    let embedder = checkEmbedder(options.embedder);
    // An embedder that learns its dimension is checked at its first response (embedAll, retrieve).
    const dim = knownDim(embedder);
    if (dim !== undefined && store.dim !== dim) {
      throw new RangeError(`embedder.dim (${dim}) must equal store.dim (${store.dim})`);
    }
    const cacheOption = options.embeddingCache ?? true;
    if (typeof cacheOption === 'object' && cacheOption !== null) assertKnownKeys(cacheOption, RETRIEVER_EMBEDDING_CACHE_KEYS, 'Retriever options.embeddingCache');
    if (cacheOption) {
      const max = typeof cacheOption === 'object' ? cacheOption.maxEntries : undefined;
      const persist = typeof cacheOption === 'object' && cacheOption.persist === true;
      const sidecar = sidecarDir(store);
      const path = persist && sidecar ? join(sidecar, CACHE_FILE) : undefined;
      embedder = embedder instanceof CachedEmbedder ? embedder : new CachedEmbedder(embedder, { maxEntries: max, path });
    }
    this.store = store;
    this.embedder = embedder;
    assertKnownKeys(options.chunking, RETRIEVER_CHUNKING_KEYS, 'Retriever options.chunking');
    const { format: _format, ...chunkOptions } = options.chunking ?? {};
    resolveChunkOptions(chunkOptions, 'Retriever options.chunking'); // validate now, not at the first add
    const format = options.chunking?.format;
    if (format !== undefined && format !== 'text' && format !== 'markdown') {
      throw new TypeError(`chunking.format: expected 'text' or 'markdown', got ${describeValue(format)}`);
    }
    this.chunking = options.chunking ?? {};
    const kw = options.keyword ?? true;
    if (typeof kw === 'object' && kw !== null) assertKnownKeys(kw, BM25_OPTION_KEYS, 'Retriever options.keyword');
    this.keywordOptions = kw === false ? null : kw === true ? {} : kw;
    if (this.keywordOptions) new BM25Index(this.keywordOptions); // validate
    this.embedBatchSize = options.embedBatchSize ?? 256;
    if (!Number.isInteger(this.embedBatchSize) || this.embedBatchSize < 1) {
      throw new RangeError(`embedBatchSize: expected a positive integer, got ${describeValue(options.embedBatchSize)}`);
    }
  }

  /** Hit/miss statistics of the embedding cache, if one is configured. */
  cacheStats() {
    return this.embedder instanceof CachedEmbedder ? this.embedder.stats() : undefined;
  }

  /**
   * Chunks, embeds and stores documents. Re-adding a document id replaces all
   * of its chunks (none of the old ones survive). Nothing is written if
   * validation, chunking or embedding fails. Returns the chunk ids per document.
   */
  async addDocuments(docs: RetrieverDocument[]): Promise<{ id: string; chunkIds: string[] }[]> {
    if (!Array.isArray(docs)) throw new TypeError(`docs: expected an array of { id, text, metadata? }, got ${describeValue(docs)}`);
    const seen = new Set<string>();
    const prepared = docs.map((d, i) => {
      if (d === null || typeof d !== 'object') throw new TypeError(`docs[${i}]: expected { id, text, metadata? }, got ${describeValue(d)}`);
      assertKnownKeys(d, RETRIEVER_DOCUMENT_KEYS, `Retriever.addDocuments docs[${i}]`);
      if (typeof d.id !== 'string' || d.id === '') throw new TypeError(`docs[${i}].id: expected a non-empty string, got ${describeValue(d.id)}`);
      if (typeof d.text !== 'string') throw new TypeError(`docs[${i}].text: expected a string, got ${describeValue(d.text)}`);
      if (seen.has(d.id)) throw new RangeError(`docs[${i}].id: ${JSON.stringify(d.id)} appears twice in this call`);
      seen.add(d.id);
      const metadata = d.metadata ?? {};
      if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
        throw new TypeError(`docs[${i}].metadata: expected a plain object, got ${describeValue(metadata)}`);
      }
      for (const key of Object.keys(metadata)) {
        if (isReservedKey(key)) throw new RangeError(`docs[${i}].metadata.${key}: "${key}" is reserved by the Retriever`);
      }
      const format = d.format ?? this.chunking.format ?? 'text';
      if (format !== 'text' && format !== 'markdown') throw new TypeError(`docs[${i}].format: expected 'text' or 'markdown', got ${describeValue(format)}`);
      return { id: d.id, text: d.text, metadata, chunks: this.chunk(d.text, format), format };
    });
    const records: { id: string; vector: Float32Array; metadata: Meta }[] = [];
    const texts: string[] = [];
    for (const doc of prepared) {
      const sections = doc.format === 'markdown' ? null : paragraphSpans(doc.text);
      let maxEnd = doc.chunks.length > 0 ? doc.chunks[0].start : 0;
      for (const c of doc.chunks) {
        const section = sections ? coveringSpan(sections, c.start, c.end) : (c.metadata.section as { start: number; end: number });
        const gap = c.start > maxEnd ? doc.text.slice(maxEnd, c.start) : '';
        maxEnd = Math.max(maxEnd, c.end);
        records.push({ id: chunkId(doc.id, c.index), vector: undefined as unknown as Float32Array, metadata: chunkMetadata(doc.id, c, doc.chunks.length, section, doc.metadata, gap) });
        texts.push(c.text);
      }
    }
    await this.ready();
    const keyword = this.keyword;
    const keywordParts: PreparedDocuments[] = [];
    const vectors = await this.embedAll(texts, (from, to) => {
      // Tokenize for BM25 right after each batch is embedded, while the shared
      // token cache still holds these texts (the hashing embedder tokenized them).
      if (keyword) keywordParts.push(keyword.prepare(records.slice(from, to).map((r) => ({ id: r.id, text: r.metadata[F.text] as string }))));
    });
    vectors.forEach((v, i) => (records[i].vector = v));
    return this.serialWrite(async () => {
      // Chunks beyond the new count are stale: find them before writing.
      const stale: string[] = [];
      if (this.store.size !== 0 && prepared.length > 0) {
        const newCount = new Map(prepared.map((d) => [d.id, d.chunks.length]));
        for await (const rec of this.store.list({ filter: { [F.docId]: { $in: [...newCount.keys()] } }, includeVectors: false })) {
          const doc = rec.metadata[F.docId] as string;
          if ((rec.metadata[F.chunk] as number) >= (newCount.get(doc) ?? 0)) stale.push(rec.id);
        }
      }
      await this.markKeywordFileStale();
      // One atomic write: a crash never leaves a re-ingested document with its old tail of chunks.
      if (records.length > 0 || stale.length > 0)
        await this.store.upsert(records as { id: string; vector: Float32Array; metadata: Metadata }[], { deleteIds: stale });
      if (keyword) {
        for (const part of keywordParts) keyword.addPrepared(part);
        keyword.delete(stale);
      }
      return prepared.map((d) => ({ id: d.id, chunkIds: d.chunks.map((c) => chunkId(d.id, c.index)) }));
    });
  }

  /** Removes documents (all their chunks); returns the number of chunks removed. */
  async deleteDocuments(ids: string[]): Promise<number> {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new TypeError(`ids: expected an array of document ids (strings), got ${describeValue(ids)}`);
    }
    await this.ready();
    return this.serialWrite(async () => {
      if (ids.length === 0 || this.store.size === 0) return 0;
      const chunkIds: string[] = [];
      for await (const rec of this.store.list({ filter: { [F.docId]: { $in: ids } }, includeVectors: false })) chunkIds.push(rec.id);
      if (chunkIds.length === 0) return 0;
      await this.markKeywordFileStale();
      const n = await this.store.delete(chunkIds);
      this.keyword?.delete(chunkIds);
      return n;
    });
  }

  /** The best passages for `query`; [] when nothing matches (never padded). */
  async retrieve(query: string, options: RetrieveOptions = {}): Promise<RetrievedHit[]> {
    if (typeof query !== 'string') throw new TypeError(`query: expected a string, got ${describeValue(query)}`);
    const o = checkRetrieveOptions(options, this.keywordOptions !== null, this.store.metric);
    await this.ready();
    if (this.store.size === 0 || o.k === 0) return [];
    const lists: Record<string, ScoredId[]> = {};
    const known = new Map<string, Candidate>();
    // The query vector: for vector search, and for the similarity that minScore compares.
    let qv: Float32Array | undefined;
    if (o.mode !== 'keyword' || o.minScore !== undefined || o.queryVector !== undefined) {
      qv = o.queryVector ?? (await this.embedder.embed([query]))[0];
      if (qv.length !== this.store.dim) throw new RangeError(`queryVector: expected length ${this.store.dim}, got ${qv.length}`);
    }
    if (o.mode !== 'keyword') {
      const hits = await this.store.query(qv as Float32Array, { topK: o.fetchK, filter: o.filter, includeVectors: o.mmr !== undefined });
      // For similarity metrics, no positive similarity means nothing in common with the query.
      const relevant = this.store.metric === 'euclidean' ? hits : hits.filter((h) => h.score > 0);
      for (const h of relevant) known.set(h.id, { id: h.id, score: h.score, similarity: h.score, meta: h.metadata, vector: h.vector });
      lists.vector = relevant.map((h) => ({ id: h.id, score: h.score }));
    }
    if (o.mode !== 'vector') lists.keyword = await this.keywordSearch(query, o.fetchK, o.filter);
    let ranked: Candidate[] =
      o.mode === 'hybrid' ? fuse(lists, o.fusion) : (o.mode === 'vector' ? lists.vector : lists.keyword);
    ranked = ranked.map((c) => ({ ...known.get(c.id), id: c.id, score: c.score }));
    if (o.minScore !== undefined) {
      // The floor is on vector similarity, in every mode, before the top k are taken.
      await this.fill(ranked, (c) => c.similarity === undefined && c.vector === undefined);
      this.addSimilarity(ranked, qv as Float32Array);
      ranked = ranked.filter((c) => (c.similarity as number) >= (o.minScore as number));
    }
    const depth = Math.max(o.k, o.mmr?.fetchK ?? 0, o.rerank ? o.fetchK : 0);
    ranked = ranked.slice(0, depth);
    await this.fill(ranked, (c) => o.mmr !== undefined && c.vector === undefined);
    if (qv) this.addSimilarity(ranked, qv);
    if (o.rerank) ranked = await this.rerank(query, ranked, o.rerank);
    if (o.minRerankScore !== undefined) ranked = ranked.filter((c) => c.score >= (o.minRerankScore as number));
    if (o.mmr) {
      const picks = maximalMarginalRelevance(ranked.map((c) => ({ score: c.score, vector: c.vector as Float32Array })), o.k, o.mmr.lambda ?? 0.5);
      ranked = picks.map((i) => ranked[i]);
    } else ranked = ranked.slice(0, o.k);
    const hits = ranked.map(toHit);
    return o.expand === 'chunk' ? hits : expandHits(this.store, hits, o.expand);
  }

  /** Sets `similarity` (the store's score for the query) on candidates that have a vector and no similarity yet. */
  private addSimilarity(candidates: Candidate[], qv: Float32Array): void {
    const metric = this.store.metric;
    for (const c of candidates) {
      if (c.similarity !== undefined || c.vector === undefined) continue;
      c.similarity = metric === 'cosine' ? cosineSimilarity(qv, c.vector) : metric === 'euclidean' ? -euclidean(qv, c.vector) : dot(qv, c.vector);
    }
  }

  /**
   * Persists the keyword index (and the embedding cache, if any) beside a
   * durable store. A no-op for an in-memory store.
   */
  async save(): Promise<void> {
    await this.ready();
    const dir = sidecarDir(this.store);
    if (!dir) return;
    await this.serialWrite(async () => {
      if (this.keyword) await this.keyword.save(join(dir, KEYWORD_FILE));
      this.keywordFileStale = false;
      if (this.embedder instanceof CachedEmbedder && this.embedder.path) await this.embedder.save();
    });
  }

  /** save(), then close the store. */
  async close(): Promise<void> {
    await this.save();
    await this.store.close?.();
  }

  private chunk(text: string, format: 'text' | 'markdown'): Chunk[] {
    const { format: _ignored, ...options } = this.chunking;
    return format === 'markdown' ? chunkMarkdown(text, options) : chunkText(text, options);
  }

  private async embedAll(texts: string[], afterBatch: (from: number, to: number) => void): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.embedBatchSize) {
      const batch = texts.slice(i, i + this.embedBatchSize);
      const vs = await this.embedder.embed(batch);
      if (!Array.isArray(vs) || vs.length !== batch.length) {
        throw new Error(`embedder ${this.embedder.id}: returned ${Array.isArray(vs) ? vs.length : describeValue(vs)} vectors for ${batch.length} texts`);
      }
      for (const v of vs) {
        if (v.length !== this.store.dim) throw new RangeError(`embedder ${this.embedder.id}: returned a vector of length ${v.length}, store.dim is ${this.store.dim}`);
        out.push(v instanceof Float32Array ? v : Float32Array.from(v));
      }
      afterBatch(i, i + batch.length);
    }
    return out;
  }

  /** Loads the keyword index saved beside the store, or rebuilds it from the stored chunks. */
  private ready(): Promise<void> {
    if (!this.readyPromise) {
      this.readyPromise = (async () => {
        if (this.embedder instanceof CachedEmbedder && this.embedder.path && existsSync(this.embedder.path)) {
          await this.embedder.load().catch(() => undefined); // a cache from another embedder is just not used
        }
        if (!this.keywordOptions) return;
        const dir = sidecarDir(this.store);
        const file = dir ? join(dir, KEYWORD_FILE) : undefined;
        if (file && existsSync(file)) {
          const loaded = await BM25Index.load(file).catch(() => null);
          if (loaded && loaded.size === this.store.size) {
            this.keyword = loaded;
            return;
          }
        }
        const index = new BM25Index(this.keywordOptions);
        if (this.store.size !== 0) {
          let batch: { id: string; text: string }[] = [];
          for await (const rec of this.store.list({ includeVectors: false })) {
            const text = rec.metadata[F.text];
            if (typeof text === 'string') batch.push({ id: rec.id, text });
            if (batch.length >= 1000) {
              index.add(batch);
              batch = [];
            }
          }
          index.add(batch);
        }
        this.keyword = index;
        if (file && existsSync(file)) await unlink(file); // it did not match the store
        this.keywordFileStale = file !== undefined;
      })();
      this.readyPromise.catch(() => (this.readyPromise = null));
    }
    return this.readyPromise;
  }

  /** A saved keyword file no longer matches once the store changes: remove it until save(). */
  private async markKeywordFileStale(): Promise<void> {
    const dir = sidecarDir(this.store);
    if (!dir || !this.keyword || this.keywordFileStale) return;
    this.keywordFileStale = true;
    await unlink(join(dir, KEYWORD_FILE)).catch(() => undefined);
  }

  private serialWrite<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(task, task);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async keywordSearch(query: string, k: number, filter: Filter | undefined): Promise<ScoredId[]> {
    const index = this.keyword as BM25Index;
    if (!filter) return index.search(query, { k });
    // Few matching chunks: search only among them. Many: over-fetch, then check the filter.
    const matching = await this.store.count(filter);
    if (matching === 0) return [];
    if (matching <= Math.max(5000, 50 * k)) {
      const allowed = new Set<string>();
      for await (const rec of this.store.list({ filter, includeVectors: false })) allowed.add(rec.id);
      return index.search(query, { k, filter: (id) => allowed.has(id) });
    }
    const wide = index.search(query, { k: k * 8 });
    const docIds = [...new Set(wide.map((h) => docIdOf(h.id)))];
    const allowed = new Set<string>();
    for await (const rec of this.store.list({ filter: { $and: [filter, { [F.docId]: { $in: docIds } }] }, includeVectors: false })) allowed.add(rec.id);
    return wide.filter((h) => allowed.has(h.id)).slice(0, k);
  }

  /**
   * Loads metadata and vectors for candidates that lack their metadata (only
   * the keyword side found them) or for which `needVector` says so.
   */
  private async fill(candidates: Candidate[], needVector: (c: Candidate) => boolean): Promise<void> {
    const missing = candidates.filter((c) => c.meta === undefined || needVector(c));
    if (missing.length === 0) return;
    const records = await this.store.get(missing.map((c) => c.id));
    missing.forEach((c, i) => {
      const r = records[i];
      if (!r) throw new Error(`chunk ${c.id} is in the keyword index but not in the store (was the store modified directly?)`);
      c.meta = r.metadata;
      c.vector = r.vector;
    });
  }

  private async rerank(query: string, ranked: Candidate[], rerank: NonNullable<RetrieveOptions['rerank']>): Promise<Candidate[]> {
    if (ranked.length === 0) return ranked;
    const input = ranked.map((c) => {
      const h = toHit(c);
      return { id: h.id, docId: h.docId, chunkIndex: h.chunkIndex, text: h.text, score: h.score, metadata: h.metadata };
    });
    const scores = await rerank(query, input);
    if (!Array.isArray(scores) || scores.length !== ranked.length || scores.some((s) => typeof s !== 'number' || Number.isNaN(s))) {
      throw new TypeError(`rerank: expected an array of ${ranked.length} numbers (one per candidate), got ${describeValue(scores)}`);
    }
    return ranked
      .map((c, i) => ({ ...c, score: scores[i] }))
      .sort((a, b) => b.score - a.score);
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

function docIdOf(chunkIdValue: string): string {
  return chunkIdValue.slice(0, chunkIdValue.lastIndexOf('#'));
}
