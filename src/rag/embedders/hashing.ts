// Deterministic, offline embeddings by signed feature hashing of normalised
// word n-grams. LEXICAL, not semantic: texts are close when they share words
// (after stemming), never because they mean the same thing. Meant for demos,
// tests and as a cheap baseline; use a model embedder for semantic search.
import { createTokenizer, type Tokenize } from '../keyword/tokenize.js';
import { assertKnownKeys, optionKeys } from '../../util/options.js';
import { checkTexts, type Embedder } from './types.js';

export interface HashingEmbedderOptions {
  /** Vector length (default 384). */
  dim?: number;
  /** Longest word n-gram hashed (default 2: words and word pairs). */
  ngrams?: number;
  /** Porter-stem English words first (default true). */
  stem?: boolean;
  /** Drop English stop words first (default true). */
  stopWords?: boolean;
}
export const HASHING_EMBEDDER_OPTION_KEYS = optionKeys<HashingEmbedderOptions>()('dim', 'ngrams', 'stem', 'stopWords');

export class HashingEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  readonly ngrams: number;
  private readonly tokenize: Tokenize;

  constructor(options: HashingEmbedderOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('HashingEmbedder options: expected an object');
    assertKnownKeys(options, HASHING_EMBEDDER_OPTION_KEYS, 'HashingEmbedder options');
    const dim = options.dim ?? 384;
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim: expected a positive integer, got ${String(dim)}`);
    const ngrams = options.ngrams ?? 2;
    if (!Number.isInteger(ngrams) || ngrams < 1 || ngrams > 5) {
      throw new RangeError(`ngrams: expected an integer in [1, 5], got ${String(ngrams)}`);
    }
    this.dim = dim;
    this.ngrams = ngrams;
    const stem = options.stem ?? true;
    const stopWords = options.stopWords ?? true;
    this.tokenize = createTokenizer({ stem, stopWords });
    this.id = `hashing-v1:dim=${dim}:ngrams=${ngrams}:stem=${stem}:stop=${stopWords}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    checkTexts(texts);
    return texts.map((t) => this.embedOne(t));
  }

  /** Synchronous form of embed for one text. */
  embedOne(text: string): Float32Array {
    const v = new Float32Array(this.dim);
    const tokens = this.tokenize(text);
    const hashes = new Uint32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) hashes[i] = hashString(tokens[i]);
    for (let n = 1; n <= this.ngrams; n++) {
      const weight = 1 / n; // longer n-grams are rarer and more specific; keep words dominant
      for (let i = 0; i + n <= hashes.length; i++) {
        let h = hashes[i];
        for (let j = 1; j < n; j++) h = mix(Math.imul(h, 0x9e3779b1) ^ hashes[i + j]);
        if (n > 1) h = mix(h ^ n);
        const slot = (h >>> 1) % this.dim;
        v[slot] += h & 1 ? weight : -weight;
      }
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < v.length; i++) v[i] *= inv;
    }
    return v;
  }
}

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser for good low bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix(h);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
