// Search filters shared by the indexes: an allow-list of labels, a prepared
// AllowList, or a predicate. Labels and predicates become a Float64Array allow-list
// (converted natively on each call); an AllowList is handed over as already
// converted. Native code checks either per candidate with no JS callback.
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
