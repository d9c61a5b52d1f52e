// A semantic cache for LLM responses: a prompt hits when an earlier prompt for
// the same model is at least `threshold` cosine-similar and not expired.
// Entries live in a VectorStore (in memory by default, or a durable one you pass).
import { createHash } from 'node:crypto';
import { VectorStore } from '../store/vector-store.js';
import type { JsonValue } from '../store/metadata.js';
import { checkEmbedder, knownDim, type Embedder } from './embedders/types.js';
import { assertKnownKeys, optionKeys } from '../util/options.js';
import { describeValue } from './tokens.js';

export interface SemanticCacheOptions {
  embedder: Embedder;
  /** Minimum cosine similarity for a hit (default 0.95). */
  threshold?: number;
  /** Entries expire this long after set() (default: never). */
  ttlMs?: number;
  /**
   * Where entries live (default: a new in-memory cosine store, created at
   * once, or at the first set() for an embedder that learns its dimension
   * from its first response). Must use the cosine metric.
   */
  store?: VectorStore;
}
export const SEMANTIC_CACHE_OPTION_KEYS = optionKeys<SemanticCacheOptions>()('embedder', 'threshold', 'ttlMs', 'store');

export interface SemanticCacheLookupOptions {
  /** Only prompts cached for this model (default ''). */
  model?: string;
}
export const SEMANTIC_CACHE_LOOKUP_KEYS = optionKeys<SemanticCacheLookupOptions>()('model');

export interface SemanticCacheSetOptions {
  /** The model the response is for (default ''). */
  model?: string;
  /** Overrides the cache's ttlMs for this entry. */
  ttlMs?: number;
}
export const SEMANTIC_CACHE_SET_KEYS = optionKeys<SemanticCacheSetOptions>()('model', 'ttlMs');

export interface SemanticCacheHit<T> {
  response: T;
  /** The cached prompt that matched. */
  prompt: string;
  similarity: number;
}

export class SemanticCache<T extends JsonValue = JsonValue> {
  private storeValue: VectorStore | undefined;
  readonly threshold: number;
  readonly ttlMs: number | undefined;
  private readonly embedder: Embedder;
  private hits = 0;
  private misses = 0;

  constructor(options: SemanticCacheOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected { embedder, threshold?, ttlMs? }, got ${describeValue(options)}`);
    assertKnownKeys(options, SEMANTIC_CACHE_OPTION_KEYS, 'SemanticCache options');
    this.embedder = checkEmbedder(options.embedder);
    const t = options.threshold ?? 0.95;
    if (typeof t !== 'number' || !(t >= -1 && t <= 1)) throw new RangeError(`threshold: expected a cosine similarity in [-1, 1], got ${describeValue(t)}`);
    this.threshold = t;
    if (options.ttlMs !== undefined && (typeof options.ttlMs !== 'number' || !(options.ttlMs > 0))) {
      throw new RangeError(`ttlMs: expected a positive number of milliseconds, got ${describeValue(options.ttlMs)}`);
    }
    this.ttlMs = options.ttlMs;
    const dim = knownDim(this.embedder);
    this.storeValue = options.store ?? (dim === undefined ? undefined : new VectorStore({ dim, metric: 'cosine' }));
    if (this.storeValue && dim !== undefined && this.storeValue.dim !== dim) throw new RangeError(`store.dim (${this.storeValue.dim}) must equal embedder.dim (${dim})`);
    if (this.storeValue && this.storeValue.metric !== 'cosine') throw new RangeError(`store: expected a cosine store, got metric ${JSON.stringify(this.storeValue.metric)}`);
  }

  /**
   * Where entries live. With an embedder that learns its dimension and no
   * store given, the store is created at the first set(); reading it before
   * that throws.
   */
  get store(): VectorStore {
    if (!this.storeValue) throw new Error('SemanticCache.store: not created yet (the embedder learns its dimension at the first set())');
    return this.storeValue;
  }

  /** The cached response for a similar enough prompt, or undefined. */
  async get(prompt: string, options: SemanticCacheLookupOptions = {}): Promise<T | undefined> {
    return (await this.lookup(prompt, options))?.response;
  }

  /** Like get(), with the matched prompt and its similarity. */
  async lookup(prompt: string, options: SemanticCacheLookupOptions = {}): Promise<SemanticCacheHit<T> | undefined> {
    const model = checkArgs(prompt, options, SEMANTIC_CACHE_LOOKUP_KEYS, 'SemanticCache.lookup options');
    if (!this.storeValue || this.storeValue.size === 0) {
      this.misses++;
      return undefined;
    }
    const [vector] = await this.embedder.embed([prompt]);
    if (vector.length !== this.storeValue.dim) throw new RangeError(`embedder ${this.embedder.id}: returned a vector of length ${vector.length}, store.dim is ${this.storeValue.dim}`);
    const now = Date.now();
    const [best] = await this.storeValue.query(vector, {
      topK: 1,
      filter: { model, $or: [{ expiresAt: { $gt: now } }, { expiresAt: { $exists: false } }] },
    });
    if (!best || best.score < this.threshold) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { response: best.metadata.response as T, prompt: best.metadata.prompt as string, similarity: best.score };
  }

  /** Stores a response (replacing one for the identical prompt and model). */
  async set(prompt: string, response: T, options: SemanticCacheSetOptions = {}): Promise<void> {
    const model = checkArgs(prompt, options, SEMANTIC_CACHE_SET_KEYS, 'SemanticCache.set options');
    const ttl = options.ttlMs ?? this.ttlMs;
    if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0))) throw new RangeError(`ttlMs: expected a positive number, got ${describeValue(ttl)}`);
    const [vector] = await this.embedder.embed([prompt]);
    const now = Date.now();
    const metadata: Record<string, JsonValue> = { model, prompt, response, createdAt: now };
    if (ttl !== undefined) metadata.expiresAt = now + ttl;
    const id = createHash('sha256').update(model).update('\u0000').update(prompt).digest('hex');
    // An embedder that learns its dimension sizes the default store with its first vector.
    this.storeValue ??= new VectorStore({ dim: vector.length, metric: 'cosine' });
    if (vector.length !== this.storeValue.dim) throw new RangeError(`embedder ${this.embedder.id}: returned a vector of length ${vector.length}, store.dim is ${this.storeValue.dim}`);
    await this.storeValue.upsert([{ id, vector, metadata }]);
  }

  /** Deletes expired entries; returns how many. */
  async prune(): Promise<number> {
    if (!this.storeValue) return 0;
    return this.storeValue.deleteWhere({ expiresAt: { $lte: Date.now() } });
  }

  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.storeValue?.size ?? 0 };
  }
}

function checkArgs(prompt: unknown, options: { model?: string }, keys: readonly string[], where: string): string {
  if (typeof prompt !== 'string') throw new TypeError(`prompt: expected a string, got ${describeValue(prompt)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected { model? }, got ${describeValue(options)}`);
  assertKnownKeys(options, keys, where);
  const model = options.model ?? '';
  if (typeof model !== 'string') throw new TypeError(`model: expected a string, got ${describeValue(model)}`);
  return model;
}
