// QuiverVectorStore: quiverdb's VectorStore behind LangChain.js's VectorStore
// interface (quiverdb/langchain). Metadata filters use quiverdb's MongoDB-style
// filter language; ids (options.ids, else Document.id, else a random UUID)
// upsert; save()/load() use a durable quiverdb store directory.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { SaveableVectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
// Everything from quiverdb's core comes through its one entry, so that the built
// adapter shares the core module (and its classes) with `quiverdb` itself.
import { VectorStore as QuiverStore, maximalMarginalRelevance, type Filter, type Metadata, type QueryHit, type Metric } from '../index.js';
// A stateless helper (no classes, nothing that must be one instance per process): a bundled copy is harmless.
import { assertKnownKeys } from '../util/options.js';
import type { VectorStoreApi, VectorStoreExtras } from '../store/api.js';

/**
 * A store the adapter can use: quiverdb's VectorStore, or any engine of the same API
 * (quiverdb/pg's PgVectorStore). `flush` is used by save() when the store is durable.
 */
export type QuiverStoreLike = VectorStoreApi & VectorStoreExtras & { flush?(): Promise<void> };

/** Metadata key holding the document text in the quiverdb store. */
export const PAGE_CONTENT_KEY = '_lc_pageContent';

export interface QuiverVectorStoreArgs<S extends QuiverStoreLike = QuiverStore> {
  /** An existing quiverdb store (VectorStore or PgVectorStore); default: an in-memory VectorStore created at the first add. */
  store?: S;
  /** Metric for a store created here (default 'cosine'). */
  metric?: Metric;
}

/** Key lists of the adapter's options bags; `KeysOf<T, K>` fails to compile when a list and its type drift apart. */
type KeysOf<T, K extends PropertyKey> = [Exclude<keyof T, K>, Exclude<K, keyof T>] extends [never, never] ? readonly K[] : never;
const keyList = <T>() => <const K extends readonly PropertyKey[]>(keys: K & KeysOf<T, K[number]>): readonly string[] => keys as readonly string[];

export const QUIVER_VECTOR_STORE_ARGS_KEYS = keyList<QuiverVectorStoreArgs>()(['store', 'metric']);
/** Options of addVectors/addDocuments. */
export interface QuiverAddOptions {
  /** One id per document (default: Document.id, else a random UUID). */
  ids?: string[];
}
export const QUIVER_ADD_OPTION_KEYS = keyList<QuiverAddOptions>()(['ids']);
/** Parameters of delete: ids or a filter. */
export interface QuiverDeleteParams {
  ids?: string[];
  filter?: Filter;
}
export const QUIVER_DELETE_KEYS = keyList<QuiverDeleteParams>()(['ids', 'filter']);
export const QUIVER_MMR_OPTION_KEYS = keyList<MaxMarginalRelevanceSearchOptions<Filter>>()(['k', 'fetchK', 'lambda', 'filter']);

export class QuiverVectorStore<S extends QuiverStoreLike = QuiverStore> extends SaveableVectorStore {
  declare FilterType: Filter;
  private quiver: S | undefined;
  private readonly metric: Metric;

  _vectorstoreType(): string {
    return 'quiverdb';
  }

  constructor(embeddings: EmbeddingsInterface, args: QuiverVectorStoreArgs<S> = {}) {
    assertKnownKeys(args, QUIVER_VECTOR_STORE_ARGS_KEYS, 'QuiverVectorStore args');
    super(embeddings, args as Record<string, unknown>);
    this.quiver = args.store;
    this.metric = args.store?.metric ?? args.metric ?? 'cosine';
  }

  /** The underlying quiverdb store (undefined until the first add when none was given). */
  get store(): S | undefined {
    return this.quiver;
  }

  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: QuiverAddOptions): Promise<string[]> {
    assertKnownKeys(options, QUIVER_ADD_OPTION_KEYS, 'QuiverVectorStore.addVectors options');
    if (!Array.isArray(vectors) || !Array.isArray(documents) || vectors.length !== documents.length) {
      throw new TypeError(`addVectors: expected as many vectors as documents, got ${vectors?.length} and ${documents?.length}`);
    }
    const ids = documents.map((doc, i) => options?.ids?.[i] ?? doc.id ?? randomUUID());
    if (vectors.length === 0) return [];
    const store = this.ensureStore(vectors[0].length);
    const records = documents.map((doc, i) => ({
      id: ids[i],
      vector: vectors[i],
      metadata: { ...toJsonMetadata(doc.metadata), [PAGE_CONTENT_KEY]: doc.pageContent } as Metadata,
    }));
    await store.upsert(records);
    return ids;
  }

  async addDocuments(documents: DocumentInterface[], options?: QuiverAddOptions): Promise<string[]> {
    assertKnownKeys(options, QUIVER_ADD_OPTION_KEYS, 'QuiverVectorStore.addDocuments options');
    const vectors = await this.embeddings.embedDocuments(documents.map((d) => d.pageContent));
    return this.addVectors(vectors, documents, options);
  }

  async similaritySearchVectorWithScore(query: number[], k: number, filter?: Filter): Promise<[DocumentInterface, number][]> {
    if (!this.quiver || this.quiver.size === 0) return [];
    const hits = await this.quiver.query(query, { topK: k, filter });
    return hits.map((h) => [toDocument(h), h.score]);
  }

  /** Deletes by ids (missing ids are ignored) or by a filter. */
  async delete(params?: QuiverDeleteParams): Promise<void> {
    assertKnownKeys(params, QUIVER_DELETE_KEYS, 'QuiverVectorStore.delete params');
    if (!this.quiver) return;
    if (params?.ids) await this.quiver.delete(params.ids);
    else if (params?.filter) await this.quiver.deleteWhere(params.filter);
    else throw new TypeError('delete: expected { ids } or { filter }');
  }

  async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<Filter>): Promise<DocumentInterface[]> {
    assertKnownKeys(options, QUIVER_MMR_OPTION_KEYS, 'QuiverVectorStore.maxMarginalRelevanceSearch options');
    if (!this.quiver || this.quiver.size === 0) return [];
    const queryVector = await this.embeddings.embedQuery(query);
    const hits = await this.quiver.query(queryVector, { topK: options.fetchK ?? 20, filter: options.filter, includeVectors: true });
    const picks = maximalMarginalRelevance(
      hits.map((h) => ({ score: h.score, vector: h.vector as Float32Array })),
      options.k,
      options.lambda ?? 0.5,
    );
    return picks.map((i) => toDocument(hits[i]));
  }

  /** Writes every record to a durable quiverdb store in `directory` (flushes if this store already lives there). */
  async save(directory: string): Promise<void> {
    const store = this.quiver;
    if (!store) throw new Error('save: the store is empty and has no dimension yet; add documents first');
    if (store.directory !== undefined && resolve(store.directory) === resolve(directory)) {
      await store.flush?.();
      return;
    }
    const target = await QuiverStore.open(directory, { dim: store.dim, metric: store.metric, durability: 'none' });
    try {
      let batch: { id: string; vector: Float32Array; metadata: Metadata }[] = [];
      for await (const rec of store.list({ includeVectors: true })) {
        batch.push({ id: rec.id, vector: rec.vector as Float32Array, metadata: rec.metadata });
        if (batch.length >= 1000) {
          await target.upsert(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await target.upsert(batch);
      await target.flush();
    } finally {
      await target.close();
    }
  }

  /** Opens a store saved with save(); close() it when done (the directory is locked while open). */
  static async load(directory: string, embeddings: EmbeddingsInterface): Promise<QuiverVectorStore> {
    return new QuiverVectorStore(embeddings, { store: await QuiverStore.open(directory) });
  }

  async close(): Promise<void> {
    await this.quiver?.close();
  }

  static async fromTexts(
    texts: string[],
    metadatas: object[] | object,
    embeddings: EmbeddingsInterface,
    args?: QuiverVectorStoreArgs,
  ): Promise<QuiverVectorStore> {
    const docs = texts.map(
      (pageContent, i) => new Document({ pageContent, metadata: Array.isArray(metadatas) ? (metadatas[i] ?? {}) : metadatas }),
    );
    return QuiverVectorStore.fromDocuments(docs, embeddings, args);
  }

  static async fromDocuments(docs: DocumentInterface[], embeddings: EmbeddingsInterface, args?: QuiverVectorStoreArgs): Promise<QuiverVectorStore> {
    const store = new QuiverVectorStore(embeddings, args);
    await store.addDocuments(docs);
    return store;
  }

  private ensureStore(dim: number): S {
    // Without a store given, S is the default (VectorStore).
    if (!this.quiver) this.quiver = new QuiverStore({ dim, metric: this.metric }) as unknown as S;
    return this.quiver;
  }
}

function toDocument(hit: QueryHit): DocumentInterface {
  const { [PAGE_CONTENT_KEY]: pageContent, ...metadata } = hit.metadata;
  return new Document({ pageContent: String(pageContent ?? ''), metadata, id: hit.id });
}

/** LangChain metadata may hold Dates and undefined: store its JSON form. */
function toJsonMetadata(metadata: Record<string, unknown> | undefined): Record<string, unknown> {
  if (metadata === undefined || metadata === null) return {};
  return JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>;
}
