// The in-memory state of a store: string ids <-> numeric slots (labels in the
// native indexes; freed slots are reused), metadata per slot, the field
// indexes and the vectors. Mutations are synchronous and all-or-nothing; the
// same apply functions serve live writes and log replay.
import type { Metric } from '../indexes/input.js';
import { BitSet } from './filter/bitset.js';
import { evaluateFilter, type FilterContext } from './filter/evaluate.js';
import { FieldIndexes } from './filter/field-index.js';
import type { FilterNode } from './filter/types.js';
import type { Metadata } from './metadata.js';
import type { RecordBatch } from './records.js';
import { SlotIndex, type AnnFactory, type ResolvedIndexOptions } from './vector-index.js';

export class StoreState implements FilterContext {
  readonly index: SlotIndex;
  readonly fields = new FieldIndexes();
  readonly live = new BitSet();
  readonly slotOf = new Map<string, number>();
  /** id and metadata per slot; undefined for a free slot. */
  readonly idAt: (string | undefined)[] = [];
  readonly metaAt: (Metadata | undefined)[] = [];
  /** Slots freed by deletes, reused first. */
  readonly #free: number[] = [];
  /**
   * Slots below #holeEnd left empty by a snapshot load are handed out by
   * scanning the live set from #holeCursor (never materialised as a list, so a
   * sparse snapshot costs no memory per hole).
   */
  #holeCursor = 0;
  #holeEnd = 0;

  constructor(dim: number, metric: Metric, options: ResolvedIndexOptions, annFactory: AnnFactory | undefined) {
    this.index = new SlotIndex(dim, metric, options, annFactory);
  }

  get size(): number {
    return this.slotOf.size;
  }

  metadataOf(slot: number): Metadata | undefined {
    return this.metaAt[slot];
  }

  /** Upserts a validated batch (unique ids). The native add runs first: if it throws, nothing changed. */
  applyUpsert(batch: RecordBatch): void {
    const n = batch.ids.length;
    if (n === 0) return;
    const slots = new Float64Array(n);
    let fresh = this.idAt.length;
    let freeTaken = 0;
    let cursor = this.#holeCursor;
    for (let i = 0; i < n; i++) {
      const existing = this.slotOf.get(batch.ids[i]);
      if (existing !== undefined) slots[i] = existing;
      else if (freeTaken < this.#free.length) slots[i] = this.#free[this.#free.length - 1 - freeTaken++];
      else {
        const hole = cursor < this.#holeEnd ? this.live.nextClear(cursor, this.#holeEnd) : -1;
        if (hole >= 0) {
          slots[i] = hole;
          cursor = hole + 1;
        } else {
          cursor = this.#holeEnd;
          slots[i] = fresh++;
        }
      }
    }
    this.index.add(slots, batch.vectors);
    // Only now that the native add succeeded are the slots taken.
    this.#free.length -= freeTaken;
    this.#holeCursor = cursor;
    for (let i = 0; i < n; i++) {
      const slot = slots[i];
      const old = this.metaAt[slot];
      if (old !== undefined) this.fields.remove(old, slot);
      this.idAt[slot] = batch.ids[i];
      this.metaAt[slot] = batch.metadata[i];
      this.slotOf.set(batch.ids[i], slot);
      this.live.add(slot);
      this.fields.add(batch.metadata[i], slot);
    }
  }

  /** Deletes ids that exist; returns the ones deleted. */
  applyDelete(ids: readonly string[]): string[] {
    const deleted: string[] = [];
    const slots: number[] = [];
    const seen = new Set<number>();
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot === undefined || seen.has(slot)) continue;
      seen.add(slot);
      slots.push(slot);
      deleted.push(id);
    }
    if (slots.length === 0) return deleted;
    this.index.remove(Float64Array.from(slots));
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      this.fields.remove(this.metaAt[slot]!, slot);
      this.slotOf.delete(deleted[i]);
      this.idAt[slot] = undefined;
      this.metaAt[slot] = undefined;
      this.live.delete(slot);
      // A slot in the unscanned hole range is found again by the scan.
      if (slot < this.#holeCursor || slot >= this.#holeEnd) this.#free.push(slot);
    }
    return deleted;
  }

  /** The matching slots, or undefined when the filter matches everything. */
  match(node: FilterNode): BitSet | undefined {
    if (node.kind === 'all') return undefined;
    return evaluateFilter(node, this);
  }

  /** Ids of the slots in `set`, ascending by slot. */
  idsOf(set: BitSet): string[] {
    const out: string[] = [];
    set.forEach((slot) => out.push(this.idAt[slot]!));
    return out;
  }

  /** Places snapshot records at their saved slots (into an empty state) and rebuilds the free list. */
  /** `vectors` undefined: they are already in a graph installed with index.setAnn(). */
  loadSlots(ids: readonly string[], slots: Float64Array, metadata: readonly Metadata[], vectors: Float32Array | undefined): void {
    if (ids.length > 0 && vectors) this.index.add(slots, vectors);
    let max = -1;
    for (let i = 0; i < ids.length; i++) {
      const slot = slots[i];
      this.idAt[slot] = ids[i];
      this.metaAt[slot] = metadata[i];
      this.slotOf.set(ids[i], slot);
      this.live.add(slot);
      if (slot > max) max = slot;
    }
    // Field indexes are rebuilt after open() returns (or by the first filter).
    this.fields.buildInBackground((slot) => this.metaAt[slot], () => this.idAt.length);
    this.idAt.length = Math.max(this.idAt.length, max + 1);
    this.metaAt.length = this.idAt.length;
    this.#free.length = 0;
    this.#holeCursor = 0;
    this.#holeEnd = this.idAt.length;
  }
}
