// Per-field indexes over the store's slots, maintained on every upsert and
// delete. For each dotted path: which slots have it at all (a bit set), and
// for each scalar value which slots hold it (equality postings). Range queries
// walk the distinct values in sorted order (kept lazily sorted per type).
import type { JsonValue, Metadata } from '../metadata.js';
import { BitSet } from './bitset.js';
import { ShardedMap } from '../sharded-map.js';

/** Slots holding one value: a bare number while there is only one (the common unique-value case). */
type Posting = number | Set<number> | DensePosting;

/** A large posting: a bit set plus its population, so deletes stay O(1). */
class DensePosting {
  readonly bits = new BitSet();
  size = 0;
  add(slot: number): void {
    if (!this.bits.has(slot)) {
      this.bits.add(slot);
      this.size++;
    }
  }
  delete(slot: number): void {
    if (this.bits.has(slot)) {
      this.bits.delete(slot);
      this.size--;
    }
  }
}
// A Set this large becomes a bit set: cheaper to store and to OR into a result.
const SET_TO_BITS = 4096;

function postingAdd(p: Posting | undefined, slot: number): Posting {
  if (p === undefined) return slot;
  if (typeof p === 'number') return p === slot ? p : new Set([p, slot]);
  if (p instanceof Set) {
    p.add(slot);
    if (p.size > SET_TO_BITS) {
      const dense = new DensePosting();
      for (const s of p) dense.add(s);
      return dense;
    }
    return p;
  }
  p.add(slot);
  return p;
}

/** Returns the posting without `slot`, or undefined when it became empty. */
function postingDelete(p: Posting, slot: number): Posting | undefined {
  if (typeof p === 'number') return p === slot ? undefined : p;
  p.delete(slot);
  if (p instanceof Set) return p.size === 0 ? undefined : p.size === 1 ? p.values().next().value : p;
  return p.size === 0 ? undefined : p;
}

function postingInto(p: Posting | undefined, out: BitSet): void {
  if (p === undefined) return;
  if (typeof p === 'number') out.add(p);
  else if (p instanceof Set) for (const s of p) out.add(s);
  else out.or(p.bits);
}

/** What a field keeps per value type: a Map, or a ShardedMap for numbers and strings. */
interface PostingMap<K> {
  get(key: K): Posting | undefined;
  set(key: K, value: Posting): unknown;
  delete(key: K): boolean;
}

/** Strings longer than this are not indexed by value (see FieldIndex.long). */
export const LONG_STRING = 256;

/** The slots of a posting, one by one. */
export function forEachSlot(p: Posting | undefined, fn: (slot: number) => void): void {
  if (p === undefined) return;
  if (typeof p === 'number') fn(p);
  else if (p instanceof Set) p.forEach(fn);
  else p.bits.forEach(fn);
}

/** Elements handled between two yields of a rebuild, and the length of its sorted runs. */
const REBUILD_STEP = 4096;

function sortKeys<K extends number | string>(keys: K[]): K[] {
  // Numbers sort as a Float64Array (a native numeric sort, several times faster than a comparator).
  if (typeof keys[0] === 'number') return Array.from(Float64Array.from(keys as number[]).sort()) as K[];
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Merges two sorted arrays, yielding every REBUILD_STEP elements. */
function* mergeSteps<K extends number | string>(a: K[], b: K[], out: K[]): Generator<void> {
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    out.push(j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++]);
    if (out.length % REBUILD_STEP === 0) yield;
  }
}

/**
 * Distinct values of one type in sorted order, merged lazily after writes,
 * with their postings alongside (so a range reads postings without a map
 * lookup per value; refreshed when a posting was replaced by another object).
 * The merge is a generator of small steps: a range query runs it to the end at
 * once, while prepare() lets a background build spread it over many turns (a
 * store of millions of distinct values would otherwise sort them all in one).
 */
class SortedKeys<K extends number | string> {
  #sorted: K[] = [];
  #postings: Posting[] = [];
  #pending: K[] = [];
  #stale = 0;
  #postingsStale = false;
  #replaced = 0;
  #job: Generator<void> | undefined;

  added(key: K): void {
    this.#pending.push(key);
  }

  removed(): void {
    this.#stale++;
  }

  /** A key's posting is now a different object (or number). */
  replaced(): void {
    this.#postingsStale = true;
    this.#replaced++;
  }

  /** Steps that bring the view up to date (none when it is). */
  prepare(live: PostingMap<K>): Generator<void> | undefined {
    if (!this.#job && (this.#pending.length > 0 || this.#stale > 0 || this.#postingsStale)) this.#job = this.#rebuild(live);
    return this.#job;
  }

  *#rebuild(live: PostingMap<K>): Generator<void> {
    const pending = this.#pending;
    this.#pending = [];
    this.#stale = 0;
    const replacedAt = this.#replaced;
    // Sorted runs, then merged pairwise: every step is small.
    let runs: K[][] = [this.#sorted];
    for (let i = 0; i < pending.length; i += REBUILD_STEP) {
      runs.push(sortKeys(pending.slice(i, i + REBUILD_STEP)));
      yield;
    }
    while (runs.length > 1) {
      const next: K[][] = [];
      for (let r = 0; r + 1 < runs.length; r += 2) {
        const out: K[] = [];
        yield* mergeSteps(runs[r], runs[r + 1], out);
        next.push(out);
      }
      if (runs.length % 2 === 1) next.push(runs[runs.length - 1]);
      runs = next;
    }
    const merged = runs[0];
    // Live keys only, once each, with their postings.
    const keys: K[] = [];
    const postings: Posting[] = [];
    for (let i = 0; i < merged.length; i++) {
      const k = merged[i];
      if (keys.length > 0 && keys[keys.length - 1] === k) continue;
      const p = live.get(k);
      if (p === undefined) continue;
      keys.push(k);
      postings.push(p);
      if (i % REBUILD_STEP === REBUILD_STEP - 1) yield;
    }
    this.#sorted = keys;
    this.#postings = postings;
    // A posting replaced while this ran may be stale in the list: refresh at the next view.
    this.#postingsStale = this.#replaced !== replacedAt;
    this.#job = undefined;
  }

  /** The sorted distinct live keys (those `live` still holds) and their postings. */
  view(live: PostingMap<K>): { keys: K[]; postings: Posting[] } {
    // A write during a spread-out rebuild may leave more to do after it: loop until current.
    for (let job = this.prepare(live); job; job = this.prepare(live)) for (const _ of job);
    return { keys: this.#sorted, postings: this.#postings };
  }
}

/** Index of one dotted path. */
export class FieldIndex {
  readonly present = new BitSet();
  // Sharded: a field can hold millions of distinct values, and a plain Map rehashes them all at once.
  readonly strings = new ShardedMap<string, Posting>();
  readonly numbers = new ShardedMap<number, Posting>();
  readonly booleans = new Map<boolean, Posting>();
  nulls: Posting | undefined;
  readonly #stringKeys = new SortedKeys<string>();
  readonly #numberKeys = new SortedKeys<number>();
  /** Slots counted in `present` (a slot may reach a path more than once through arrays). */
  refs = 0;
  /**
   * Slots holding more than one number or string at this path (arrays). A
   * two-sided range must also match such a slot when different elements satisfy
   * each bound (MongoDB semantics), so those few slots are checked one by one.
   */
  readonly multi = new BitSet();
  multiCount = 0;
  /**
   * Slots holding a string longer than LONG_STRING at this path. Such strings (a chunk's text,
   * say) are not keys of the equality and range indexes, which would hold a second copy of every
   * one of them; an equality or range that can reach them checks these slots one by one.
   */
  long: Posting | undefined;

  /** Steps that sort the distinct values for ranges (run at the end of a background build, so the first range query does not). */
  *prepareRanges(): Generator<void> {
    const numbers = this.#numberKeys.prepare(this.numbers);
    if (numbers) yield* numbers;
    const strings = this.#stringKeys.prepare(this.strings);
    if (strings) yield* strings;
  }

  addValue(value: string | number | boolean | null, slot: number): void {
    if (value === null) this.nulls = postingAdd(this.nulls, slot);
    else if (typeof value === 'string' && value.length > LONG_STRING) this.long = postingAdd(this.long, slot);
    else if (typeof value === 'string') {
      const p = this.strings.get(value);
      const next = postingAdd(p, slot);
      if (next === p) return;
      this.strings.set(value, next);
      if (p === undefined) this.#stringKeys.added(value);
      else this.#stringKeys.replaced();
    } else if (typeof value === 'number') {
      const p = this.numbers.get(value);
      const next = postingAdd(p, slot);
      if (next === p) return;
      this.numbers.set(value, next);
      if (p === undefined) this.#numberKeys.added(value);
      else this.#numberKeys.replaced();
    } else this.booleans.set(value, postingAdd(this.booleans.get(value), slot));
  }

  removeValue(value: string | number | boolean | null, slot: number): void {
    if (value === null) {
      if (this.nulls !== undefined) this.nulls = postingDelete(this.nulls, slot);
      return;
    }
    if (typeof value === 'string' && value.length > LONG_STRING) {
      // A record's values are removed all together, so one long string gone means all of them.
      if (this.long !== undefined) this.long = postingDelete(this.long, slot);
      return;
    }
    const map = (typeof value === 'string' ? this.strings : typeof value === 'number' ? this.numbers : this.booleans) as PostingMap<
      typeof value>;
    const p = map.get(value);
    if (p === undefined) return;
    const left = postingDelete(p, slot);
    if (left === undefined) {
      map.delete(value);
      if (typeof value === 'string') this.#stringKeys.removed();
      else if (typeof value === 'number') this.#numberKeys.removed();
    } else if (left !== p) {
      map.set(value, left);
      if (typeof value === 'string') this.#stringKeys.replaced();
      else if (typeof value === 'number') this.#numberKeys.replaced();
    }
  }

  /** ORs into `out` the slots holding `value` (a scalar) at this path. */
  equal(value: string | number | boolean | null, out: BitSet): void {
    if (value === null) postingInto(this.nulls, out);
    else if (typeof value === 'string') postingInto(this.strings.get(value), out);
    else if (typeof value === 'number') postingInto(this.numbers.get(value), out);
    else postingInto(this.booleans.get(value), out);
  }

  /** ORs into `out` the slots with a value of `type` inside the bounds. */
  range(type: 'number' | 'string', lo: number | string | undefined, loInclusive: boolean,
    hi: number | string | undefined, hiInclusive: boolean, out: BitSet): void {
    const { keys, postings } = (type === 'number' ? this.#numberKeys.view(this.numbers) : this.#stringKeys.view(this.strings)) as {
      keys: (number | string)[]; postings: Posting[] };
    let start = 0;
    if (lo !== undefined) start = lowerBound(keys, lo, !loInclusive);
    let end = keys.length;
    if (hi !== undefined) end = lowerBound(keys, hi, hiInclusive);
    for (let i = start; i < end; i++) postingInto(postings[i], out);
  }
}

/** First index whose key is >= x (or > x when `strict`). */
function lowerBound(keys: (number | string)[], x: number | string, strict: boolean): number {
  let a = 0, b = keys.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (keys[m] < x || (strict && keys[m] === x)) a = m + 1;
    else b = m;
  }
  return a;
}

type Visit = (path: string, value: string | number | boolean | null, inArray: boolean) => void;

/**
 * Calls visit(path, scalar, inArray) for every indexed scalar of a metadata
 * object, and visitPath(path) once per path present. Arrays contribute each
 * element under the array's own path (so `{ tags: 'a' }` matches
 * `tags: ['a', 'b']`), and objects inside arrays contribute their fields
 * (`authors.name`). Only inside arrays can a path repeat, so only there is a
 * set of seen paths kept (this runs for every record on every write and load).
 *
 * A key containing a dot is not indexed (nor anything under it): a filter path
 * splits at dots, so `'a.b'` names the field b of the object a, never a key
 * spelled "a.b" (as in MongoDB). Indexed under its spelling, such a key was
 * conflated with the nested field: `{ 'a.b': 1 }` matched a record
 * `{ "a.b": 1 }` and `{ "a.b": 1, a: { b: 9 } }` through the equality and
 * range indexes, while equality with an array operand and the per-element
 * range check (which read the metadata by segments) did not see it.
 */
export function walkMetadata(meta: Metadata, visit: Visit, visitPath: (path: string) => void): void {
  walkObject(meta, '', undefined, visit, visitPath);
}

function walkObject(
  obj: { [k: string]: JsonValue }, prefix: string, seen: Set<string> | undefined, visit: Visit, visitPath: (path: string) => void,
): void {
  for (const key of Object.keys(obj)) {
    if (key.includes('.')) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    const v = obj[key];
    if (!seen) visitPath(path);
    else if (!seen.has(path)) {
      seen.add(path);
      visitPath(path);
    }
    if (v === null || typeof v !== 'object') visit(path, v, seen !== undefined);
    else if (Array.isArray(v)) {
      // One level of array expansion (as MongoDB): arrays nested in arrays are not indexed.
      const inner = seen ?? new Set<string>();
      for (const e of v) {
        if (e === null || typeof e !== 'object') visit(path, e, true);
        else if (!Array.isArray(e)) walkObject(e, path, inner, visit, visitPath);
      }
    } else walkObject(v, path, seen, visit, visitPath);
  }
}

/**
 * The field indexes of a store: one FieldIndex per path seen.
 *
 * After a snapshot load they are rebuilt in the background (chunks of slots
 * between other work) instead of inside open(): `covered` is the number of
 * leading slots already indexed. Writes to covered slots update the indexes;
 * writes beyond are picked up when the build reaches them; the first filter
 * evaluated before the end completes the build synchronously.
 */
/** Time slice of the background build, and the slots indexed between clock reads. */
const SLICE_MS = 8;
const BUILD_CHUNK = 256;

export class FieldIndexes {
  readonly fields = new Map<string, FieldIndex>();
  #covered = Infinity;
  #source: ((slot: number) => Metadata | undefined) | undefined;
  #slotCount: (() => number) | undefined;

  /**
   * Marks the indexes as to be built over slots [0, slotCount()) read through
   * `metadataOf`; startBuilding() then runs the build in the background (until
   * then, or until done, the first filter builds whatever is left).
   */
  deferBuild(metadataOf: (slot: number) => Metadata | undefined, slotCount: () => number): void {
    this.#covered = 0;
    this.#source = metadataOf;
    this.#slotCount = slotCount;
  }

  /** Whether the indexes cover `slot` (writes to slots beyond are picked up by the deferred build). */
  covers(slot: number): boolean {
    return slot < this.#covered;
  }

  /** True when no deferred build is pending. */
  get built(): boolean {
    return this.#covered === Infinity;
  }

  /** Starts the deferred build in the background. */
  startBuilding(): void {
    void this.whenReady();
  }

  /**
   * Resolves once the deferred build is complete (or stopped). The build runs in slices of
   * about SLICE_MS, one per turn of the event loop, so it never blocks the loop for long;
   * concurrent callers share one build.
   */
  whenReady(): Promise<void> {
    if (this.#covered === Infinity) return Promise.resolve();
    this.#building ??= new Promise<void>((resolve) => {
      const step = () => {
        const until = performance.now() + SLICE_MS;
        while (this.#covered !== Infinity && !this.#stopped && performance.now() < until) this.#advance(BUILD_CHUNK);
        // A referenced immediate: an unreferenced one lets the loop sleep in its poll phase
        // until unrelated I/O or a timer wakes it, which stalled the build for seconds.
        if (this.#covered !== Infinity && !this.#stopped) return void setImmediate(step);
        // Then sort each field's values for ranges, a field per turn, so the first range query
        // after open does not sort them all at once.
        const fields = [...this.fields.values()];
        let steps: Generator<void> | undefined;
        const prepare = () => {
          const until = performance.now() + SLICE_MS;
          while (!this.#stopped && performance.now() < until) {
            if (!steps) {
              if (fields.length === 0) break;
              steps = fields.pop()!.prepareRanges();
            }
            if (steps.next().done) steps = undefined;
          }
          if ((steps || fields.length > 0) && !this.#stopped) return void setImmediate(prepare);
          this.#building = undefined;
          resolve();
        };
        setImmediate(prepare);
      };
      setImmediate(step);
    });
    return this.#building;
  }

  /** Stops a background build for good (the store closed: nothing will read the indexes). */
  stopBuilding(): void {
    this.#stopped = true;
  }

  #building: Promise<void> | undefined;
  #stopped = false;

  #advance(chunk: number): void {
    const end = Math.min(this.#covered + chunk, this.#slotCount!());
    for (let slot = this.#covered; slot < end; slot++) {
      const meta = this.#source!(slot);
      if (meta) this.#add(meta, slot);
    }
    this.#covered = end;
    if (end >= this.#slotCount!()) {
      this.#covered = Infinity;
      this.#source = this.#slotCount = undefined;
    }
  }

  /** Completes a background build (filters call this before reading the indexes). */
  ready(): this {
    if (this.#covered !== Infinity) this.#advance(Number.MAX_SAFE_INTEGER);
    return this;
  }

  #field(path: string): FieldIndex {
    let f = this.fields.get(path);
    if (!f) this.fields.set(path, (f = new FieldIndex()));
    return f;
  }

  add(meta: Metadata, slot: number): void {
    if (slot < this.#covered) this.#add(meta, slot);
  }

  remove(meta: Metadata, slot: number): void {
    if (slot < this.#covered) this.#remove(meta, slot);
  }

  #add(meta: Metadata, slot: number): void {
    let ordered: Map<string, number> | undefined; // numbers/strings per path, counted only inside arrays
    walkMetadata(meta, (path, v, inArray) => {
      this.#field(path).addValue(v, slot);
      if (inArray && (typeof v === 'number' || typeof v === 'string')) {
        ordered ??= new Map();
        ordered.set(path, (ordered.get(path) ?? 0) + 1);
      }
    }, (path) => {
      const f = this.#field(path);
      f.present.add(slot);
      f.refs++;
    });
    if (ordered) for (const [path, count] of ordered) {
      if (count < 2) continue;
      const f = this.fields.get(path)!;
      f.multi.add(slot);
      f.multiCount++;
    }
  }

  #remove(meta: Metadata, slot: number): void {
    walkMetadata(meta, (path, v) => this.fields.get(path)?.removeValue(v, slot), (path) => {
      const f = this.fields.get(path);
      if (!f) return;
      f.present.delete(slot);
      if (f.multi.has(slot)) {
        f.multi.delete(slot);
        f.multiCount--;
      }
      if (--f.refs === 0) this.fields.delete(path);
    });
  }
}
