// Search filters shared by the indexes: an allow-list of labels, or a predicate.
// Both become one Float64Array allow-list handed to native code, which checks it
// per candidate with no JS callback in the scan or traversal.
import type { NativeAllow } from '../native/types.js';
import { AllowList } from './allow-list.js';
import { describe, toLabels, type LabelsLike } from './input.js';

export type LabelFilter = LabelsLike | AllowList | ((label: number) => boolean);

/**
 * The allow-list for a filter, or undefined for none. A predicate is evaluated
 * once per live label (`liveLabels` is only called in that case).
 */
export function toAllowList(filter: unknown, liveLabels: () => Float64Array): NativeAllow | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (filter instanceof AllowList) return filter.native;
  if (typeof filter === 'function') {
    const labels = liveLabels();
    const allowed: number[] = [];
    for (let i = 0; i < labels.length; i++) if (filter(labels[i]) === true) allowed.push(labels[i]);
    return Float64Array.from(allowed);
  }
  if (Array.isArray(filter) || ArrayBuffer.isView(filter)) return toLabels(filter as LabelsLike, 'filter');
  throw new TypeError(`filter: expected an array of labels, an AllowList or a function (label) => boolean, got ${describe(filter)}`);
}
