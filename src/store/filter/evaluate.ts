// Evaluates a compiled filter to the bit set of matching slots, using the
// field indexes (no per-record work for scalar conditions). Equality with an
// array or object operand, which no index covers, scans the slots having the path.
import type { JsonValue, Metadata } from '../metadata.js';
import { BitSet } from './bitset.js';
import { LONG_STRING, forEachSlot, type FieldIndexes } from './field-index.js';
import type { FilterNode } from './types.js';

export interface FilterContext {
  /** Occupied slots. */
  live: BitSet;
  fields: FieldIndexes;
  metadataOf(slot: number): Metadata | undefined;
}

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as JsonValue[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, JsonValue>, bo = b as Record<string, JsonValue>;
  const ak = Object.keys(ao), bk = Object.keys(bo);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}

/** The values at a dotted path; arrays on the way fan out into their object elements. */
function valuesAt(meta: Metadata, segments: string[]): JsonValue[] {
  let current: JsonValue[] = [meta];
  for (const seg of segments) {
    const next: JsonValue[] = [];
    const take = (o: JsonValue) => {
      if (o !== null && typeof o === 'object' && !Array.isArray(o) && Object.prototype.hasOwnProperty.call(o, seg)) next.push(o[seg]);
    };
    for (const v of current) {
      if (Array.isArray(v)) v.forEach(take);
      else take(v);
    }
    current = next;
  }
  return current;
}

function boundsMetSeparately(values: JsonValue[], node: Extract<FilterNode, { kind: 'range' }>): boolean {
  const elements = values.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => typeof v === node.type) as (number | string)[];
  const lo = node.lo!, hi = node.hi!;
  return elements.some((e) => (node.loInclusive ? e >= lo : e > lo)) && elements.some((e) => (node.hiInclusive ? e <= hi : e < hi));
}

/** Adds the slots (of `candidates`, or all having the path) where some value at `path` equals `operand`. */
function scanEqual(ctx: FilterContext, path: string, operand: JsonValue, out: BitSet, candidates?: Parameters<typeof forEachSlot>[0]): void {
  const field = ctx.fields.fields.get(path);
  if (!field) return;
  const segments = path.split('.');
  const each = candidates === undefined ? (fn: (slot: number) => void) => field.present.forEach(fn) : (fn: (slot: number) => void) => forEachSlot(candidates, fn);
  each((slot) => {
    const meta = ctx.metadataOf(slot);
    if (!meta) return;
    for (const v of valuesAt(meta, segments)) {
      if (deepEqual(v, operand) || (Array.isArray(v) && v.some((e) => deepEqual(e, operand)))) {
        out.add(slot);
        return;
      }
    }
  });
}

function evaluateNode(node: FilterNode, ctx: FilterContext): BitSet {
  switch (node.kind) {
    case 'all':
      return ctx.live.clone();
    case 'and': {
      const acc = evaluateNode(node.children[0], ctx);
      for (let i = 1; i < node.children.length; i++) acc.and(evaluateNode(node.children[i], ctx));
      return acc;
    }
    case 'or': {
      const acc = evaluateNode(node.children[0], ctx);
      for (let i = 1; i < node.children.length; i++) acc.or(evaluateNode(node.children[i], ctx));
      return acc;
    }
    case 'not':
      return ctx.live.clone().andNot(evaluateNode(node.child, ctx));
    case 'exists': {
      const field = ctx.fields.fields.get(node.path);
      return field ? field.present.clone() : new BitSet();
    }
    case 'range': {
      const out = new BitSet(ctx.live.capacity);
      const field = ctx.fields.fields.get(node.path);
      if (!field) return out;
      field.range(node.type, node.lo, node.loInclusive, node.hi, node.hiInclusive, out);
      if (node.type === 'string' && field.long !== undefined) {
        // Long strings are not in the sorted keys: check the slots holding one.
        const segments = node.path.split('.');
        const inRange = (e: JsonValue) => typeof e === 'string' &&
          (node.lo === undefined || (node.loInclusive ? e >= node.lo : e > node.lo)) &&
          (node.hi === undefined || (node.hiInclusive ? e <= node.hi : e < node.hi));
        forEachSlot(field.long, (slot) => {
          if (out.has(slot)) return;
          const meta = ctx.metadataOf(slot);
          if (meta && valuesAt(meta, segments).some((v) => (Array.isArray(v) ? v.some(inRange) : inRange(v)))) out.add(slot);
        });
      }
      if (node.lo !== undefined && node.hi !== undefined && field.multiCount > 0) {
        // An array may meet each bound with a different element.
        const segments = node.path.split('.');
        field.multi.forEach((slot) => {
          if (out.has(slot)) return;
          const meta = ctx.metadataOf(slot);
          if (meta && boundsMetSeparately(valuesAt(meta, segments), node)) out.add(slot);
        });
      }
      return out;
    }
    case 'in': {
      const out = new BitSet(ctx.live.capacity);
      const field = ctx.fields.fields.get(node.path);
      for (const v of node.values) {
        if (v === null) {
          // MongoDB: { field: null } matches an explicit null and a missing field.
          field?.equal(null, out);
          const missing = ctx.live.clone();
          if (field) missing.andNot(field.present);
          out.or(missing);
        } else if (typeof v === 'string' && v.length > LONG_STRING) {
          if (field?.long !== undefined) scanEqual(ctx, node.path, v, out, field.long);
        } else if (typeof v !== 'object') field?.equal(v, out);
        else scanEqual(ctx, node.path, v, out);
      }
      return out;
    }
  }
}

/** The slots whose metadata matches `node` (always a subset of the live slots). */
export function evaluateFilter(node: FilterNode, ctx: FilterContext): BitSet {
  ctx.fields.ready();
  return evaluateNode(node, ctx);
}
