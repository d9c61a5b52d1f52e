// The in-memory state of a store: string ids <-> numeric slots (labels in the
// native indexes; freed slots are reused), metadata per slot, the field
// indexes and the vectors. Mutations are synchronous and all-or-nothing; the
// same apply functions serve live writes and log replay.
import type { Metric } from '../indexes/input.js';
import { BitSet } from './filter/bitset.js';
import { ShardedMap } from './sharded-map.js';
import { evaluateFilter, type FilterContext } from './filter/evaluate.js';
import { FieldIndexes } from './filter/field-index.js';
import type { FilterNode } from './filter/types.js';
import type { Metadata } from './metadata.js';
import { metadataJsonAt, type RecordBatch } from './records.js';
import { SlotIndex, type AnnFactory, type ResolvedIndexOptions } from './vector-index.js';

export class StoreState implements FilterContext {
  readonly index: SlotIndex;
  readonly fields = new FieldIndexes();
  readonly live = new BitSet();
  /** id -> slot (sharded: one Map of millions of ids stalled the event loop for ~0.2-0.8 s whenever it rehashed). */
  readonly slotOf = new ShardedMap<string, number>();
  /**
   * id and metadata per slot; undefined for a free slot. Metadata is kept as its JSON text:
   * one string per record is compact and costs the garbage collector almost nothing to trace,
   * where millions of metadata objects made every major collection a long pause. It is parsed
   * when read, which also hands the caller a fresh copy.
   */
  readonly idAt: (string | undefined)[] = [];
  readonly metaJson: (string | undefined)[] = [];
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

  /** A fresh copy of the metadata at `slot` (undefined for a free slot). */
  metadataOf(slot: number): Metadata | undefined {
    const json = this.metaJson[slot];
    return json === undefined ? undefined : JSON.parse(json);
  }

  /** Vectors being inserted into the graph by an upsert in progress (not yet visible). */
  pendingInserts = 0;

  /** Bumped by every change of what a slot holds (a search run off the JS thread checks it did not move). */
  version = 0;

  /** Upserts a validated batch (unique ids). The native add runs first: if it throws, nothing changed. */
  applyUpsert(batch: RecordBatch): void {
    const slots = this.#assignSlots(batch);
    if (!slots) return;
    this.index.add(slots, batch.vectors);
    this.#commit(batch, slots);
  }

  /**
   * Same as applyUpsert, with the graph insert of new records off the JS thread
   * (a large batch would otherwise stall the event loop). Until the commit, the
   * new slots hold no id, so a query that meets one skips it; replacements of
   * existing records are applied synchronously at the commit, so no query sees
   * a record with a new vector and old metadata.
   */
  async applyUpsertAsync(batch: RecordBatch): Promise<void> {
    const slots = this.#assignSlots(batch);
    if (!slots) return;
    const fresh: number[] = [];
    for (let i = 0; i < slots.length; i++) if (this.idAt[slots[i]] === undefined) fresh.push(i);
    if (!this.index.usesAnn || fresh.length === 0) {
      this.index.add(slots, batch.vectors);
      this.#commit(batch, slots);
      return;
    }
    const dim = this.index.dim;
    const freshSlots = Float64Array.from(fresh, (i) => slots[i]);
    const freshVectors = new Float32Array(fresh.length * dim);
    fresh.forEach((i, j) => freshVectors.set(batch.vectors.subarray(i * dim, (i + 1) * dim), j * dim));
    this.pendingInserts += fresh.length;
    try {
      await this.index.addAsync(freshSlots, freshVectors);
    } finally {
      this.pendingInserts -= fresh.length;
    }
    if (fresh.length < slots.length) {
      const isFresh = new Set(fresh);
      const kept = [...slots.keys()].filter((i) => !isFresh.has(i));
      const replaced = new Float32Array(kept.length * dim);
      kept.forEach((i, j) => replaced.set(batch.vectors.subarray(i * dim, (i + 1) * dim), j * dim));
      try {
        this.index.add(Float64Array.from(kept, (i) => slots[i]), replaced);
      } catch (err) {
        this.index.remove(freshSlots); // leave the graph as it was
        throw err;
      }
    }
    this.#commit(batch, slots);
  }

  /** Slots for a batch: existing ids keep theirs, new ids take freed slots, holes, then fresh ones. Nothing is taken yet. */
  #assignSlots(batch: RecordBatch): Float64Array | undefined {
    const n = batch.ids.length;
    if (n === 0) return undefined;
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
    this.#pendingFreeTaken = freeTaken;
    this.#pendingCursor = cursor;
    return slots;
  }

  #pendingFreeTaken = 0;
  #pendingCursor = 0;

  /** Takes the slots chosen by #assignSlots (the vectors are in the index) and records ids and metadata. */
  #commit(batch: RecordBatch, slots: Float64Array): void {
    this.version++;
    this.#free.length -= this.#pendingFreeTaken;
    this.#holeCursor = this.#pendingCursor;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const old = this.metaJson[slot];
      if (old !== undefined && this.fields.covers(slot)) this.fields.remove(JSON.parse(old), slot);
      this.idAt[slot] = batch.ids[i];
      this.metaJson[slot] = metadataJsonAt(batch, i);
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
    this.version++;
    this.index.remove(Float64Array.from(slots));
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (this.fields.covers(slot)) this.fields.remove(JSON.parse(this.metaJson[slot]!), slot);
      this.slotOf.delete(deleted[i]);
      this.idAt[slot] = undefined;
      this.metaJson[slot] = undefined;
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

  /** Starts loading a snapshot into this (empty) state: field indexes are built after open (or by the first filter). */
  beginLoad(): void {
    this.fields.deferBuild((slot) => this.metadataOf(slot), () => this.idAt.length);
  }

  /** Places one snapshot record at its saved slot (its vector is added to the index separately). */
  placeRecord(id: string, slot: number, metadataJson: string): void {
    if (this.live.has(slot)) throw new Error(`slot ${slot} appears twice`);
    const before = this.slotOf.size;
    this.slotOf.set(id, slot); // one lookup: a repeated id leaves the size unchanged (and fails the load)
    if (this.slotOf.size === before) throw new Error(`id ${JSON.stringify(id)} appears twice`);
    this.idAt[slot] = id;
    this.metaJson[slot] = metadataJson;
    this.live.add(slot);
  }

  /** Ends a snapshot load: the empty slots below the highest used one are reused by scanning (no free list). */
  finishLoad(): void {
    this.metaJson.length = this.idAt.length;
    this.#free.length = 0;
    this.#holeCursor = 0;
    this.#holeEnd = this.idAt.length;
  }

  /** The live slots, ascending. */
  liveSlots(): Float64Array {
    return this.live.toLabels(this.size);
  }

  /** One past the highest slot in use (slots below it that hold no record are free). */
  get slotCount(): number {
    return this.idAt.length;
  }
}
