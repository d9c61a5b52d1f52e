// A semantic cache for LLM responses: a prompt hits when an earlier prompt for
// the same model is at least `threshold` cosine-similar and not expired.
// Entries live in a VectorStore (in memory by default, or a durable one you pass).
import { createHash } from 'node:crypto';
import { VectorStore } from '../store/vector-store.js';
import type { JsonValue } from '../store/metadata.js';
import { checkEmbedder, type Embedder } from './embedders/types.js';
import { describeValue } from './tokens.js';

export interface SemanticCacheOptions {
  embedder: Embedder;
  /** Minimum cosine similarity for a hit (default 0.95). */
  threshold?: number;
  /** Entries expire this long after set() (default: never). */
  ttlMs?: number;
  /** Where entries live (default: a new in-memory cosine store). Must use the cosine metric. */
  store?: VectorStore;
}

export interface SemanticCacheHit<T> {
  response: T;
  /** The cached prompt that matched. */
  prompt: string;
  similarity: number;
}

export class SemanticCache<T extends JsonValue = JsonValue> {
  readonly store: VectorStore;
  readonly threshold: number;
  readonly ttlMs: number | undefined;
  private readonly embedder: Embedder;
  private hits = 0;
  private misses = 0;

  constructor(options: SemanticCacheOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected { embedder, threshold?, ttlMs? }, got ${describeValue(options)}`);
    this.embedder = checkEmbedder(options.embedder);
    const t = options.threshold ?? 0.95;
    if (typeof t !== 'number' || !(t >= -1 && t <= 1)) throw new RangeError(`threshold: expected a cosine similarity in [-1, 1], got ${describeValue(t)}`);
    this.threshold = t;
    if (options.ttlMs !== undefined && (typeof options.ttlMs !== 'number' || !(options.ttlMs > 0))) {
      throw new RangeError(`ttlMs: expected a positive number of milliseconds, got ${describeValue(options.ttlMs)}`);
    }
    this.ttlMs = options.ttlMs;
    this.store = options.store ?? new VectorStore({ dim: this.embedder.dim, metric: 'cosine' });
    if (this.store.dim !== this.embedder.dim) throw new RangeError(`store.dim (${this.store.dim}) must equal embedder.dim (${this.embedder.dim})`);
    if (this.store.metric !== 'cosine') throw new RangeError(`store: expected a cosine store, got metric ${JSON.stringify(this.store.metric)}`);
  }

  /** The cached response for a similar enough prompt, or undefined. */
  async get(prompt: string, options: { model?: string } = {}): Promise<T | undefined> {
    return (await this.lookup(prompt, options))?.response;
  }

  /** Like get(), with the matched prompt and its similarity. */
  async lookup(prompt: string, options: { model?: string } = {}): Promise<SemanticCacheHit<T> | undefined> {
    const model = checkArgs(prompt, options);
    if (this.store.size === 0) {
      this.misses++;
      return undefined;
    }
    const [vector] = await this.embedder.embed([prompt]);
    const now = Date.now();
    const [best] = await this.store.query(vector, {
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
  async set(prompt: string, response: T, options: { model?: string; ttlMs?: number } = {}): Promise<void> {
    const model = checkArgs(prompt, options);
    const ttl = options.ttlMs ?? this.ttlMs;
    if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0))) throw new RangeError(`ttlMs: expected a positive number, got ${describeValue(ttl)}`);
    const [vector] = await this.embedder.embed([prompt]);
    const now = Date.now();
    const metadata: Record<string, JsonValue> = { model, prompt, response, createdAt: now };
    if (ttl !== undefined) metadata.expiresAt = now + ttl;
    const id = createHash('sha256').update(model).update('\u0000').update(prompt).digest('hex');
    await this.store.upsert([{ id, vector, metadata }]);
  }

  /** Deletes expired entries; returns how many. */
  async prune(): Promise<number> {
    return this.store.deleteWhere({ expiresAt: { $lte: Date.now() } });
  }

  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.hits, misses: this.misses, size: this.store.size };
  }
}

function checkArgs(prompt: unknown, options: { model?: string }): string {
  if (typeof prompt !== 'string') throw new TypeError(`prompt: expected a string, got ${describeValue(prompt)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`options: expected { model? }, got ${describeValue(options)}`);
  const model = options.model ?? '';
  if (typeof model !== 'string') throw new TypeError(`model: expected a string, got ${describeValue(model)}`);
  return model;
}
