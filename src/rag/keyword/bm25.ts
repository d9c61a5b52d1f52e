// Okapi BM25 keyword index (Lucene's formulation: idf = ln(1 + (N - df + 0.5) /
// (df + 0.5)), tf saturation with k1 and length normalisation with b).
// Incremental: add replaces a document with the same id; delete is lazy (the
// slot is marked dead and skipped) and postings are compacted when dead slots
// outnumber live ones. Serialises to JSON for a file beside the store.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { describeValue } from '../tokens.js';
import { assertKnownKeys, optionKeys } from '../../util/options.js';
import { createTokenizer, TOKENIZER_OPTION_KEYS, type Tokenize, type TokenizerOptions } from './tokenize.js';

export interface BM25Options extends TokenizerOptions {
  /** Term-frequency saturation (default 0.9, as in Pyserini). */
  k1?: number;
  /** Length normalisation, 0..1 (default 0.4, as in Pyserini). */
  b?: number;
  /** Replace the tokenizer entirely (stopWords/stem are then ignored; not serialised). */
  tokenize?: Tokenize;
}
export const BM25_OPTION_KEYS = optionKeys<BM25Options>()(...(TOKENIZER_OPTION_KEYS as readonly (keyof TokenizerOptions)[]), 'k1', 'b', 'tokenize');

export interface KeywordHit {
  id: string;
  score: number;
}

export interface BM25SearchOptions {
  /** Number of hits (default 10). */
  k?: number;
  /** Only documents for which this returns true. */
  filter?: (id: string) => boolean;
}
export const BM25_SEARCH_OPTION_KEYS = optionKeys<BM25SearchOptions>()('k', 'filter');

interface Posting {
  slots: number[];
  tfs: number[];
}

const FORMAT = 'quiver-bm25';
const PREPARED = Symbol('preparedBy');

/** Tokenized documents from BM25Index.prepare(). */
export interface PreparedDocuments {
  readonly [PREPARED]: BM25Index;
  readonly docs: readonly { id: string; tokens: string[] }[];
}

export class BM25Index {
  readonly k1: number;
  readonly b: number;
  private readonly tokenize: Tokenize;
  private readonly tokenizerConfig: { stopWords: boolean | string[]; stem: boolean } | null;
  private readonly vocab = new Map<string, number>();
  private terms: string[] = [];
  private df: number[] = [];
  private postings: Posting[] = [];
  // Per slot: external id (null when deleted), length, and its [termId, tf] pairs.
  private ids: (string | null)[] = [];
  private lengths: number[] = [];
  private docTerms: (Int32Array | null)[] = [];
  private readonly slotOf = new Map<string, number>();
  private totalLength = 0;
  private dead = 0;
  private scores = new Float64Array(0);
  private tfScratch = new Int32Array(1024);

  constructor(options: BM25Options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options: expected an object, got ${describeValue(options)}`);
    }
    assertKnownKeys(options, BM25_OPTION_KEYS, 'BM25Index options');
    this.k1 = checkParam(options.k1 ?? 0.9, 'k1', 0, Infinity);
    this.b = checkParam(options.b ?? 0.4, 'b', 0, 1);
    if (options.tokenize !== undefined) {
      if (typeof options.tokenize !== 'function') {
        throw new TypeError(`tokenize: expected a function (text) => string[], got ${describeValue(options.tokenize)}`);
      }
      this.tokenize = options.tokenize;
      this.tokenizerConfig = null;
    } else {
      this.tokenize = createTokenizer({ stopWords: options.stopWords, stem: options.stem });
      const sw = options.stopWords ?? true;
      this.tokenizerConfig = {
        stopWords: typeof sw === 'boolean' ? sw : [...sw],
        stem: options.stem === undefined ? true : options.stem === true,
      };
      if (typeof options.stem === 'function') this.tokenizerConfig = null;
    }
  }

  /** Number of live documents. */
  get size(): number {
    return this.slotOf.size;
  }

  has(id: string): boolean {
    return this.slotOf.has(id);
  }

  /** The live document ids. */
  documentIds(): string[] {
    return [...this.slotOf.keys()];
  }

  /** Adds documents; a document whose id exists replaces the old one. */
  add(docs: { id: string; text: string }[]): void {
    this.addPrepared(this.prepare(docs));
  }

  /**
   * Validates and tokenizes documents without changing the index, so a caller
   * can do the expensive part before a write and apply it with addPrepared().
   */
  prepare(docs: { id: string; text: string }[]): PreparedDocuments {
    if (!Array.isArray(docs)) throw new TypeError(`docs: expected an array of { id, text }, got ${describeValue(docs)}`);
    const prepared = docs.map((d, i) => {
      if (d === null || typeof d !== 'object') throw new TypeError(`docs[${i}]: expected { id, text }, got ${describeValue(d)}`);
      if (typeof d.id !== 'string') throw new TypeError(`docs[${i}].id: expected a string, got ${describeValue(d.id)}`);
      if (typeof d.text !== 'string') throw new TypeError(`docs[${i}].text: expected a string, got ${describeValue(d.text)}`);
      return { id: d.id, tokens: this.tokenize(d.text) };
    });
    return { [PREPARED]: this, docs: prepared };
  }

  /** Applies documents from prepare() on this index. */
  addPrepared(prepared: PreparedDocuments): void {
    if (prepared?.[PREPARED] !== this) throw new TypeError('addPrepared: expected the result of prepare() on this index');
    for (const { id, tokens } of prepared.docs) this.insert(id, tokens);
  }

  /** Removes documents by id; unknown ids are ignored. Returns how many were removed. */
  delete(ids: string[]): number {
    if (!Array.isArray(ids)) throw new TypeError(`ids: expected an array of strings, got ${describeValue(ids)}`);
    let removed = 0;
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      this.remove(slot);
      removed++;
    }
    if (this.dead > 1024 && this.dead > this.slotOf.size) this.compact();
    return removed;
  }

  /** Best-scoring documents for a query, highest score first (ties by insertion order). */
  search(query: string, options: BM25SearchOptions = {}): KeywordHit[] {
    if (typeof query !== 'string') throw new TypeError(`query: expected a string, got ${describeValue(query)}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`options: expected { k?, filter? }, got ${describeValue(options)}`);
    assertKnownKeys(options, BM25_SEARCH_OPTION_KEYS, 'BM25Index.search options');
    const k = options.k ?? 10;
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k: expected a non-negative integer, got ${describeValue(k)}`);
    const filter = options.filter;
    if (filter !== undefined && typeof filter !== 'function') {
      throw new TypeError(`filter: expected a function (id) => boolean, got ${describeValue(filter)}`);
    }
    const live = this.slotOf.size;
    if (k === 0 || live === 0) return [];
    const qtf = new Map<number, number>();
    for (const t of this.tokenize(query)) {
      const id = this.vocab.get(t);
      if (id !== undefined && this.df[id] > 0) qtf.set(id, (qtf.get(id) ?? 0) + 1);
    }
    if (qtf.size === 0) return [];
    if (this.scores.length < this.ids.length) this.scores = new Float64Array(Math.max(this.ids.length, this.scores.length * 2));
    const scores = this.scores;
    const touched: number[] = [];
    const avgdl = this.totalLength / live || 1;
    const { k1, b } = this;
    for (const [term, count] of qtf) {
      const df = this.df[term];
      const idf = Math.log(1 + (live - df + 0.5) / (df + 0.5)) * count;
      const { slots, tfs } = this.postings[term];
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i];
        if (this.ids[slot] === null) continue;
        const tf = tfs[i];
        const norm = k1 * (1 - b + (b * this.lengths[slot]) / avgdl);
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] += (idf * tf * (k1 + 1)) / (tf + norm);
      }
    }
    const hits = topK(touched, scores, k, filter ? (slot) => filter(this.ids[slot] as string) : undefined);
    const out = hits.map((slot) => ({ id: this.ids[slot] as string, score: scores[slot] }));
    for (const slot of touched) scores[slot] = 0;
    return out;
  }

  /** JSON text of the index (only possible with the built-in tokenizer). */
  serialize(): string {
    if (this.tokenizerConfig === null) {
      throw new Error('BM25Index.serialize: an index with a custom tokenize/stem function cannot be serialised');
    }
    const termIds = new Map<number, number>();
    const terms: string[] = [];
    const docs: [string, number, number[]][] = [];
    for (const [id, slot] of this.slotOf) {
      const pairs = this.docTerms[slot] as Int32Array;
      const flat: number[] = new Array(pairs.length);
      for (let i = 0; i < pairs.length; i += 2) {
        let t = termIds.get(pairs[i]);
        if (t === undefined) {
          t = terms.length;
          termIds.set(pairs[i], t);
          terms.push(this.terms[pairs[i]]);
        }
        flat[i] = t;
        flat[i + 1] = pairs[i + 1];
      }
      docs.push([id, this.lengths[slot], flat]);
    }
    return JSON.stringify({ format: FORMAT, version: 1, k1: this.k1, b: this.b, tokenizer: this.tokenizerConfig, terms, docs });
  }

  static deserialize(json: string): BM25Index {
    let data: {
      format?: string;
      version?: number;
      k1: number;
      b: number;
      tokenizer: { stopWords: boolean | string[]; stem: boolean };
      terms: string[];
      docs: [string, number, number[]][];
    };
    try {
      data = JSON.parse(json);
    } catch (e) {
      throw new Error(`BM25Index.deserialize: not valid JSON (${(e as Error).message})`);
    }
    if (data?.format !== FORMAT || data.version !== 1) {
      throw new Error(`BM25Index.deserialize: expected ${FORMAT} version 1, got ${data?.format} version ${data?.version}`);
    }
    const index = new BM25Index({ k1: data.k1, b: data.b, ...data.tokenizer });
    const termIds = data.terms.map((t) => index.termId(t));
    for (const [id, length, flat] of data.docs) {
      const pairs = new Int32Array(flat.length);
      for (let i = 0; i < flat.length; i += 2) {
        pairs[i] = termIds[flat[i]];
        pairs[i + 1] = flat[i + 1];
      }
      index.insertPairs(id, pairs, length);
    }
    return index;
  }

  /** Writes the index to `path` atomically (temp file + rename). */
  async save(path: string): Promise<void> {
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, this.serialize());
    await rename(tmp, path);
  }

  static async load(path: string): Promise<BM25Index> {
    return BM25Index.deserialize(await readFile(path, 'utf8'));
  }

  private termId(term: string): number {
    let id = this.vocab.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.vocab.set(term, id);
      this.terms.push(term);
      this.df.push(0);
      this.postings.push({ slots: [], tfs: [] });
    }
    return id;
  }

  private insert(id: string, tokens: string[]): void {
    // Term frequencies in a reusable scratch array indexed by term id.
    const touched: number[] = [];
    for (const t of tokens) {
      const term = this.termId(t);
      if (this.tfScratch.length <= term) {
        const grown = new Int32Array(Math.max(1024, this.terms.length * 2));
        grown.set(this.tfScratch);
        this.tfScratch = grown;
      }
      if (this.tfScratch[term]++ === 0) touched.push(term);
    }
    const pairs = new Int32Array(touched.length * 2);
    for (let i = 0; i < touched.length; i++) {
      pairs[2 * i] = touched[i];
      pairs[2 * i + 1] = this.tfScratch[touched[i]];
      this.tfScratch[touched[i]] = 0;
    }
    this.insertPairs(id, pairs, tokens.length);
  }

  private insertPairs(id: string, pairs: Int32Array, length: number): void {
    const old = this.slotOf.get(id);
    if (old !== undefined) this.remove(old);
    const slot = this.ids.length;
    this.ids.push(id);
    this.lengths.push(length);
    this.docTerms.push(pairs);
    this.slotOf.set(id, slot);
    this.totalLength += length;
    for (let i = 0; i < pairs.length; i += 2) {
      const p = this.postings[pairs[i]];
      p.slots.push(slot);
      p.tfs.push(pairs[i + 1]);
      this.df[pairs[i]]++;
    }
  }

  private remove(slot: number): void {
    const pairs = this.docTerms[slot] as Int32Array;
    for (let i = 0; i < pairs.length; i += 2) this.df[pairs[i]]--;
    this.totalLength -= this.lengths[slot];
    this.slotOf.delete(this.ids[slot] as string);
    this.ids[slot] = null;
    this.docTerms[slot] = null;
    this.dead++;
  }

  /** Renumbers live slots densely and rebuilds postings without dead entries. */
  private compact(): void {
    const ids = this.ids;
    const lengths = this.lengths;
    const docTerms = this.docTerms;
    this.ids = [];
    this.lengths = [];
    this.docTerms = [];
    this.slotOf.clear();
    this.totalLength = 0;
    this.dead = 0;
    for (const p of this.postings) {
      p.slots = [];
      p.tfs = [];
    }
    this.df.fill(0);
    for (let s = 0; s < ids.length; s++) {
      if (ids[s] !== null) this.insertPairs(ids[s] as string, docTerms[s] as Int32Array, lengths[s]);
    }
  }
}

function checkParam(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new RangeError(`${name}: expected a number in [${min}, ${max === Infinity ? '∞' : max}], got ${describeValue(v)}`);
  }
  return v;
}

/** The k best slots by score (desc), ties by slot (asc), via a bounded min-heap. */
function topK(candidates: number[], scores: Float64Array, k: number, accept?: (slot: number) => boolean): number[] {
  const heap: number[] = [];
  // "a worse than b": lower score, or equal score and later slot.
  const worse = (a: number, b: number) => scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  const siftUp = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (const slot of candidates) {
    if (heap.length === k && !worse(heap[0], slot)) continue;
    if (accept && !accept(slot)) continue;
    if (heap.length < k) {
      heap.push(slot);
      siftUp(heap.length - 1);
    } else {
      heap[0] = slot;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (scores[b] - scores[a]) || a - b);
}
