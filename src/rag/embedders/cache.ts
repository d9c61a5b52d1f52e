// An LRU embedding cache in front of any embedder, keyed by
// sha256(embedder id + text), bounded in entries, with hit/miss counters, and
// optionally saved to / loaded from a file (e.g. beside the store).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { assertKnownKeys, optionKeys } from '../../util/options.js';
import { checkEmbedder, checkTexts, knownDim, resolveDim, type Embedder } from './types.js';

export interface EmbeddingCacheOptions {
  /** Most vectors kept (default 10 000); the least recently used go first. */
  maxEntries?: number;
  /** File for save()/CachedEmbedder.open(). */
  path?: string;
}

export const EMBEDDING_CACHE_OPTION_KEYS = optionKeys<EmbeddingCacheOptions>()('maxEntries', 'path');

export interface EmbeddingCacheStats {
  hits: number;
  misses: number;
  size: number;
  maxEntries: number;
  hitRate: number;
}

const MAGIC = 'QVEMBC01';

export class CachedEmbedder implements Embedder {
  readonly id: string;
  readonly inner: Embedder;
  readonly maxEntries: number;
  readonly path: string | undefined;
  private readonly entries = new Map<string, Float32Array>();
  private hits = 0;
  private misses = 0;

  constructor(embedder: Embedder, options: EmbeddingCacheOptions = {}) {
    this.inner = checkEmbedder(embedder);
    if (options === null || typeof options !== 'object') throw new TypeError('CachedEmbedder options: expected an object');
    assertKnownKeys(options, EMBEDDING_CACHE_OPTION_KEYS, 'CachedEmbedder options');
    this.id = embedder.id;
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`maxEntries: expected a non-negative integer, got ${String(max)}`);
    this.maxEntries = max;
    this.path = options.path;
  }

  /** The inner embedder's dimension (for one that learns it: throws until its first response). */
  get dim(): number {
    return this.inner.dim;
  }

  /** The inner embedder's dimension if known, else undefined. */
  get dimension(): number | undefined {
    return knownDim(this.inner);
  }

  /** The inner embedder's dimension, probing it if it is not known yet. */
  probe(): Promise<number> {
    return resolveDim(this.inner);
  }

  /** A cache pre-filled from `options.path` when that file exists (and was written for the same embedder). */
  static async open(embedder: Embedder, options: EmbeddingCacheOptions & { path: string }): Promise<CachedEmbedder> {
    const cache = new CachedEmbedder(embedder, options);
    if (existsSync(options.path)) await cache.load(options.path);
    return cache;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    checkTexts(texts);
    const keys = texts.map((t) => this.key(t));
    const out: (Float32Array | undefined)[] = new Array(texts.length);
    const missing = new Map<string, number[]>(); // key -> positions needing it
    keys.forEach((k, i) => {
      let v = this.entries.get(k);
      // Entries loaded before the inner embedder learned its dimension, of another length: not used.
      if (v !== undefined && v.length !== (this.dimension ?? v.length)) {
        this.entries.delete(k);
        v = undefined;
      }
      if (v !== undefined) {
        this.entries.delete(k); // refresh recency
        this.entries.set(k, v);
        out[i] = v.slice();
        this.hits++;
      } else {
        const at = missing.get(k);
        if (at) at.push(i);
        else missing.set(k, [i]);
        this.misses++;
      }
    });
    if (missing.size > 0) {
      const todo = [...missing.values()];
      const vectors = await this.inner.embed(todo.map((positions) => texts[positions[0]]));
      if (!Array.isArray(vectors) || vectors.length !== todo.length) {
        throw new Error(`embedder ${this.id}: returned ${Array.isArray(vectors) ? vectors.length : typeof vectors} vectors for ${todo.length} texts`);
      }
      todo.forEach((positions, j) => {
        const v = vectors[j];
        const dim = this.inner.dim; // known once the inner embedder has answered
        if (!(v instanceof Float32Array) || v.length !== dim) {
          throw new Error(`embedder ${this.id}: vector ${j} has length ${v?.length}, expected ${dim}`);
        }
        for (const p of positions) out[p] = v.slice();
        this.remember(keys[positions[0]], v.slice());
      });
    }
    return out as Float32Array[];
  }

  stats(): EmbeddingCacheStats {
    const total = this.hits + this.misses;
    return { hits: this.hits, misses: this.misses, size: this.entries.size, maxEntries: this.maxEntries, hitRate: total ? this.hits / total : 0 };
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }

  /** Writes the cached vectors (most recent last) to `path` or the configured path, atomically. */
  async save(path = this.path): Promise<void> {
    if (!path) throw new TypeError('path: no path given and none configured');
    const first = this.entries.values().next().value as Float32Array | undefined;
    const header = Buffer.from(JSON.stringify({ id: this.id, dim: this.dimension ?? first?.length ?? 0, count: this.entries.size }));
    const parts: Buffer[] = [Buffer.from(MAGIC), u32(header.length), header];
    for (const [k, v] of this.entries) {
      parts.push(Buffer.from(k, 'hex'), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, Buffer.concat(parts));
    await rename(tmp, path);
  }

  /** Adds the vectors saved in `path`; a file from another embedder (id/dim) is rejected. */
  async load(path = this.path): Promise<void> {
    if (!path) throw new TypeError('path: no path given and none configured');
    const buf = await readFile(path);
    if (buf.subarray(0, 8).toString() !== MAGIC) throw new Error(`${path}: not an embedding cache file`);
    const hlen = buf.readUInt32LE(8);
    const header = JSON.parse(buf.subarray(12, 12 + hlen).toString()) as { id: string; dim: number; count: number };
    // An inner embedder that has not learned its dimension yet takes the file's (same id: same model).
    const dim = this.dimension ?? header.dim;
    if (header.id !== this.id || header.dim !== dim) {
      throw new Error(`${path}: cache was written for embedder ${header.id} (dim ${header.dim}), not ${this.id} (dim ${dim})`);
    }
    const rec = 32 + 4 * dim;
    if (buf.length !== 12 + hlen + header.count * rec) throw new Error(`${path}: truncated embedding cache file`);
    let off = 12 + hlen;
    for (let i = 0; i < header.count; i++, off += rec) {
      const key = buf.subarray(off, off + 32).toString('hex');
      const v = new Float32Array(dim);
      new Uint8Array(v.buffer).set(buf.subarray(off + 32, off + rec));
      this.remember(key, v);
    }
  }

  private key(text: string): string {
    return createHash('sha256').update(this.id).update('\u0000').update(text).digest('hex');
  }

  private remember(key: string, v: Float32Array): void {
    if (this.maxEntries === 0) return;
    this.entries.delete(key);
    this.entries.set(key, v);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
