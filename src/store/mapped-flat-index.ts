// The exact index of a read-only store: the snapshot's vectors, memory-mapped
// read-only (so every reader of the store shares one copy in the page cache),
// plus a private FlatIndex for what the log changed since (the tail). A slot
// upserted or deleted after the snapshot stops counting in the mapped rows; its
// new vector, if any, lives in the tail. Searches run on both and merge.
// Snapshots write rows in ascending slot order, so the mapped search's ties
// (broken by row) are broken by slot, as FlatIndex breaks them.
import { AllowList } from '../indexes/allow-list.js';
import { FlatIndex } from '../indexes/flat-index.js';
import type { Metric } from '../indexes/input.js';
import type { MappedVectors } from '../indexes/mapped-vectors.js';
import type { SearchResult } from '../indexes/results.js';
import type { BitSet } from './filter/bitset.js';

export class MappedFlatIndex {
  readonly #base: MappedVectors;
  /** The slot of each mapped row. */
  readonly #slotOfRow: Float64Array;
  /** The mapped row of each slot below its length, or -1. */
  readonly #rowOfSlot: Int32Array;
  /** Rows still holding their slot's vector (bit r of word r >> 5). */
  readonly #alive: Uint32Array;
  #aliveCount: number;
  readonly #tail: FlatIndex;

  constructor(base: MappedVectors, slotOfRow: Float64Array, readonly dim: number, readonly metric: Metric) {
    this.#base = base;
    this.#slotOfRow = slotOfRow;
    let slots = 0;
    for (let r = 0; r < slotOfRow.length; r++) slots = Math.max(slots, slotOfRow[r] + 1);
    this.#rowOfSlot = new Int32Array(slots).fill(-1);
    for (let r = 0; r < slotOfRow.length; r++) this.#rowOfSlot[slotOfRow[r]] = r;
    this.#alive = new Uint32Array(Math.ceil(slotOfRow.length / 32));
    for (let r = 0; r < slotOfRow.length; r++) this.#alive[r >>> 5] |= 1 << (r & 31);
    this.#aliveCount = slotOfRow.length;
    this.#tail = new FlatIndex({ dim, metric });
  }

  get size(): number {
    return this.#aliveCount + this.#tail.size;
  }

  /** The mapped row that still holds `slot`'s vector, or -1. */
  #row(slot: number): number {
    const row = slot < this.#rowOfSlot.length ? this.#rowOfSlot[slot] : -1;
    return row >= 0 && (this.#alive[row >>> 5] & (1 << (row & 31))) !== 0 ? row : -1;
  }

  #kill(row: number): void {
    this.#alive[row >>> 5] &= ~(1 << (row & 31));
    this.#aliveCount--;
  }

  /** Adds or replaces: the vectors go to the tail (first, so a failure changes nothing), replaced rows stop counting. */
  add(slots: Float64Array, vectors: Float32Array): void {
    this.#tail.add(slots, vectors);
    for (let i = 0; i < slots.length; i++) {
      const row = this.#row(slots[i]);
      if (row >= 0) this.#kill(row);
    }
  }

  remove(slots: Float64Array): number {
    let removed = 0;
    const inTail: number[] = [];
    for (let i = 0; i < slots.length; i++) {
      const row = this.#row(slots[i]);
      if (row >= 0) {
        this.#kill(row);
        removed++;
      } else inTail.push(slots[i]);
    }
    return removed + (inTail.length ? this.#tail.remove(Float64Array.from(inTail)) : 0);
  }

  get(slot: number): Float32Array | undefined {
    const row = this.#row(slot);
    return row >= 0 ? this.#base.get(row) : this.#tail.get(slot);
  }

  getVectors(slots: Float64Array, out: Float32Array = new Float32Array(slots.length * this.dim)): Float32Array {
    for (let i = 0; i < slots.length; i++) {
      const v = this.get(slots[i]);
      if (!v) throw new RangeError(`slot ${slots[i]} holds no vector`);
      out.set(v, i * this.dim);
    }
    return out;
  }

  /** The tail grows as needed; the mapped rows need nothing. */
  reserve(): void {}

  labels(): Float64Array {
    const tail = this.#tail.labels();
    const out = new Float64Array(this.#aliveCount + tail.length);
    let n = 0;
    for (let r = 0; r < this.#slotOfRow.length; r++) if (this.#alive[r >>> 5] & (1 << (r & 31))) out[n++] = this.#slotOfRow[r];
    out.set(tail, n);
    return out;
  }

  /** The rows a search of the mapped vectors may return, or undefined for all of them. */
  #allowedRows(filter: BitSet | undefined): { allow: Uint32Array | undefined; count: number } {
    if (!filter) return this.#aliveCount === this.#slotOfRow.length ? { allow: undefined, count: this.#aliveCount } : { allow: this.#alive, count: this.#aliveCount };
    const allow = new Uint32Array(this.#alive.length);
    let count = 0;
    filter.forEach((slot) => {
      const row = this.#row(slot);
      if (row >= 0) {
        allow[row >>> 5] |= 1 << (row & 31);
        count++;
      }
    });
    return { allow, count };
  }

  /** The k nearest slots among `filter` (every slot when undefined). */
  search(query: Float32Array, k: number, filter?: BitSet): SearchResult {
    const { allow, count } = this.#allowedRows(filter);
    const base = count > 0 ? this.#base.search(query, Math.min(k, count), allow ? { allow } : {}) : undefined;
    return this.#merge(base, this.#searchTail(query, k, filter), k);
  }

  async searchAsync(query: Float32Array, k: number, filter?: BitSet): Promise<SearchResult> {
    const { allow, count } = this.#allowedRows(filter);
    const tail = this.#searchTail(query, k, filter);
    const base = count > 0 ? await this.#base.searchAsync(query, Math.min(k, count), allow ? { allow } : {}) : undefined;
    return this.#merge(base, tail, k);
  }

  #searchTail(query: Float32Array, k: number, filter: BitSet | undefined): SearchResult | undefined {
    if (this.#tail.size === 0) return undefined;
    return this.#tail.search(query, Math.min(k, this.#tail.size), filter ? { filter: AllowList.fromBits(filter.words) } : {});
  }

  /** The k best of both (rows turned into slots), by distance, ties by slot. */
  #merge(base: SearchResult | undefined, tail: SearchResult | undefined, k: number): SearchResult {
    const b = base?.labels.length ?? 0, t = tail?.labels.length ?? 0;
    const n = Math.min(k, b + t);
    const labels = new Float64Array(n);
    const distances = new Float32Array(n);
    let i = 0, j = 0;
    for (let o = 0; o < n; o++) {
      const bs = i < b ? this.#slotOfRow[base!.labels[i]] : 0;
      const takeBase = j >= t || (i < b && (base!.distances[i] < tail!.distances[j] || (base!.distances[i] === tail!.distances[j] && bs < tail!.labels[j])));
      if (takeBase) {
        labels[o] = bs;
        distances[o] = base!.distances[i++];
      } else {
        labels[o] = tail!.labels[j];
        distances[o] = tail!.distances[j++];
      }
    }
    return { labels, distances };
  }

  /** Unmaps the snapshot's vectors (searches in flight keep the mapping until they finish). */
  release(): void {
    this.#base.close();
  }
}
