// A filter's allowed labels converted to native form once, for many searches.
// Passing labels as an array converts them on every call: a copy, a validation
// pass and a bit set of the largest label, which for a broad filter (50% of
// 100k labels) cost more than the filtered graph search itself.
import { native } from '../native/load.js';
import type { NativeAllowList } from '../native/types.js';
import { describe, toLabels, type LabelsLike } from './input.js';

/**
 * An allow-list of labels prepared once and reusable across searches of any index:
 * `index.search(q, k, { filter: allow })`. It copies the labels; later changes to
 * the array do not affect it.
 */
/** Marks the internal constructor call that adopts an already built native list. */
const ADOPT = Symbol('adopt');

export class AllowList {
  /** Distinct labels in the list (some may be absent from a given index). */
  readonly size: number;
  /** @internal The native filter the searches read. */
  readonly native: NativeAllowList;

  constructor(labels: LabelsLike);
  /** @internal */
  constructor(adopt: typeof ADOPT, prepared: NativeAllowList);
  constructor(labels: LabelsLike | typeof ADOPT, prepared?: NativeAllowList) {
    this.native = labels === ADOPT ? prepared! : new (native().NativeAllowList)(toLabels(labels, 'labels'));
    this.size = this.native.count();
  }

  /**
   * An allow-list from a bit set: bit b of words[w] allows label w * 32 + b. The words are
   * copied as they are (no list of labels in between), so a broad filter over many labels
   * costs a copy of its bits, not a conversion per label.
   */
  static fromBits(words: Uint32Array): AllowList {
    if (!(words instanceof Uint32Array)) throw new TypeError(`AllowList.fromBits: words: expected a Uint32Array, got ${describe(words)}`);
    return new AllowList(ADOPT, new (native().NativeAllowList)(words, 'bits'));
  }
}
