// A filter's allowed labels converted to native form once, for many searches.
// Passing labels as an array converts them on every call: a copy, a validation
// pass and a bit set of the largest label, which for a broad filter (50% of
// 100k labels) cost more than the filtered graph search itself.
import { native } from '../native/load.js';
import type { NativeAllowList } from '../native/types.js';
import { toLabels, type LabelsLike } from './input.js';

/**
 * An allow-list of labels prepared once and reusable across searches of any index:
 * `index.search(q, k, { filter: allow })`. It copies the labels; later changes to
 * the array do not affect it.
 */
export class AllowList {
  /** Distinct labels in the list (some may be absent from a given index). */
  readonly size: number;
  /** @internal The native filter the searches read. */
  readonly native: NativeAllowList;

  constructor(labels: LabelsLike) {
    this.native = new (native().NativeAllowList)(toLabels(labels, 'labels'));
    this.size = this.native.count();
  }
}
