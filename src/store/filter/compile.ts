// Validates a user filter and compiles it to a FilterNode tree. Every error
// names the path and the operator, so a typo never silently matches nothing.
import { describe } from '../../indexes/input.js';
import type { JsonValue } from '../metadata.js';
import type { FilterNode } from './types.js';

const FIELD_OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$not']);
const LOGICAL_OPERATORS = new Set(['$and', '$or', '$nor', '$not']);
const MAX_DEPTH = 32;

function fail(path: string, op: string, message: string): never {
  const where = path ? `filter at ${JSON.stringify(path)}` : 'filter';
  throw new (message.startsWith('unknown') ? RangeError : TypeError)(`${where}: ${op ? op + ': ' : ''}${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Checks an operand is JSON data (what a field can hold) and copies it. */
function operand(value: unknown, path: string, op: string, depth = 0): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value as JsonValue;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, op, `expected a finite number, got ${value}`);
    return value;
  }
  if (depth > MAX_DEPTH) fail(path, op, 'operand nested too deeply');
  if (Array.isArray(value)) return value.map((v) => operand(v, path, op, depth + 1));
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = Object.create(null);
    for (const k of Object.keys(value)) out[k] = operand(value[k], path, op, depth + 1);
    return out;
  }
  fail(path, op, `expected JSON data, got ${describe(value)}`);
}

function checkPath(path: string): void {
  if (path.length === 0 || path.split('.').some((s) => s.length === 0))
    fail(path, '', 'a field path must be non-empty names joined by dots');
}

function eq(path: string, value: JsonValue): FilterNode {
  return { kind: 'in', path, values: [value] };
}

function rangeNode(path: string, op: string, raw: unknown): FilterNode {
  if (typeof raw !== 'number' && typeof raw !== 'string')
    fail(path, op, `expected a number or a string, got ${describe(raw)}`);
  if (typeof raw === 'number' && !Number.isFinite(raw)) fail(path, op, `expected a finite number, got ${raw}`);
  const type = typeof raw === 'number' ? 'number' : 'string';
  if (op === '$gt' || op === '$gte') return { kind: 'range', path, type, lo: raw, loInclusive: op === '$gte', hiInclusive: false };
  return { kind: 'range', path, type, hi: raw, hiInclusive: op === '$lte', loInclusive: false };
}

function listOperand(path: string, op: string, raw: unknown): JsonValue[] {
  if (!Array.isArray(raw)) fail(path, op, `expected an array, got ${describe(raw)}`);
  return raw.map((v) => operand(v, path, op));
}

/** `{ $gt: 1, $lt: 5 }` for one field: each operator is a condition, ANDed. */
function compileOperators(path: string, ops: Record<string, unknown>, depth: number): FilterNode {
  const parts: FilterNode[] = [];
  for (const op of Object.keys(ops)) {
    const raw = ops[op];
    switch (op) {
      case '$eq': parts.push(eq(path, operand(raw, path, op))); break;
      case '$ne': parts.push({ kind: 'not', child: eq(path, operand(raw, path, op)) }); break;
      case '$gt': case '$gte': case '$lt': case '$lte': parts.push(rangeNode(path, op, raw)); break;
      case '$in': parts.push({ kind: 'in', path, values: listOperand(path, op, raw) }); break;
      case '$nin': parts.push({ kind: 'not', child: { kind: 'in', path, values: listOperand(path, op, raw) } }); break;
      case '$exists':
        if (typeof raw !== 'boolean') fail(path, op, `expected true or false, got ${describe(raw)}`);
        parts.push(raw ? { kind: 'exists', path } : { kind: 'not', child: { kind: 'exists', path } });
        break;
      case '$not':
        if (!isPlainObject(raw) || !Object.keys(raw).some((k) => k.startsWith('$')))
          fail(path, op, `expected an object of operators such as { $gt: 5 }, got ${describe(raw)}`);
        if (depth > MAX_DEPTH) fail(path, op, 'filter nested too deeply');
        parts.push({ kind: 'not', child: compileOperators(path, raw, depth + 1) });
        break;
      default:
        fail(path, op, `unknown operator (expected one of ${[...FIELD_OPERATORS].join(' ')})`);
    }
  }
  if (parts.length === 0) fail(path, '', 'an empty operator object matches nothing useful; remove it or add an operator');
  const merged = mergeRanges(parts);
  return merged.length === 1 ? merged[0] : { kind: 'and', children: merged };
}

/**
 * The range operators on one field become one range per operand type: the
 * intersection of their bounds (the greatest lower bound, the least upper
 * bound; at a tie the exclusive bound, which is tighter). So `{ $gte: a, $lt: b }`
 * visits only the values between a and b (two one-sided ranges would each
 * visit most keys), and any number of bounds intersect, whatever their order.
 * An empty intersection (lo above hi) matches no single value.
 *
 * This stays exact for a field holding several values (an array), where each
 * bound is a condition some element must meet, different elements allowed
 * (MongoDB): an element meeting the tightest lower bound meets every lower
 * bound, so "every bound met by some element" is "the tightest lower and the
 * tightest upper bound each met by some element", which the evaluator checks
 * for such slots (evaluate.ts). Only ranges of the same type merge: numbers
 * compare with numbers and strings with strings, so a number bound and a
 * string bound stay two conditions, ANDed.
 */
function mergeRanges(parts: FilterNode[]): FilterNode[] {
  const out: FilterNode[] = [];
  const merged = new Map<'number' | 'string', Extract<FilterNode, { kind: 'range' }>>();
  for (const p of parts) {
    if (p.kind !== 'range') {
      out.push(p);
      continue;
    }
    const prev = merged.get(p.type);
    if (!prev) {
      const copy = { ...p };
      merged.set(p.type, copy);
      out.push(copy);
      continue;
    }
    if (p.lo !== undefined && (prev.lo === undefined || p.lo > prev.lo || (p.lo === prev.lo && !p.loInclusive))) {
      prev.lo = p.lo;
      prev.loInclusive = p.loInclusive;
    }
    if (p.hi !== undefined && (prev.hi === undefined || p.hi < prev.hi || (p.hi === prev.hi && !p.hiInclusive))) {
      prev.hi = p.hi;
      prev.hiInclusive = p.hiInclusive;
    }
  }
  return out;
}

function compileField(path: string, condition: unknown, depth: number): FilterNode {
  checkPath(path);
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    const opKeys = keys.filter((k) => k.startsWith('$'));
    if (opKeys.length > 0) {
      if (opKeys.length !== keys.length)
        fail(path, opKeys[0], 'cannot mix operators and field names in one object (use a dotted path for nested fields)');
      return compileOperators(path, condition, depth);
    }
  }
  return eq(path, operand(condition, path, '$eq'));
}

function compileLogical(op: string, raw: unknown, path: string, depth: number): FilterNode {
  if (op === '$not') {
    if (!isPlainObject(raw)) fail(path, op, `expected a filter object, got ${describe(raw)}`);
    return { kind: 'not', child: compileObject(raw, path, depth + 1) };
  }
  if (!Array.isArray(raw) || raw.length === 0) fail(path, op, `expected a non-empty array of filters, got ${describe(raw)}`);
  const children = raw.map((f, i) => {
    if (!isPlainObject(f)) fail(path, `${op}[${i}]`, `expected a filter object, got ${describe(f)}`);
    return compileObject(f, path, depth + 1);
  });
  if (op === '$and') return { kind: 'and', children };
  if (op === '$or') return { kind: 'or', children };
  return { kind: 'not', child: { kind: 'or', children } };
}

function compileObject(filter: Record<string, unknown>, path: string, depth: number): FilterNode {
  if (depth > MAX_DEPTH) fail(path, '', 'filter nested too deeply');
  const parts: FilterNode[] = [];
  for (const key of Object.keys(filter)) {
    if (key.startsWith('$')) {
      if (!LOGICAL_OPERATORS.has(key))
        fail(path, key, `unknown operator at the top level of a filter (expected $and $or $nor $not, or a field name)`);
      parts.push(compileLogical(key, filter[key], path, depth));
    } else {
      parts.push(compileField(key, filter[key], depth));
    }
  }
  if (parts.length === 0) return { kind: 'all' };
  return parts.length === 1 ? parts[0] : { kind: 'and', children: parts };
}

/** Compiles a user filter; undefined or {} matches every record. */
export function compileFilter(filter: unknown): FilterNode {
  if (filter === undefined || filter === null) return { kind: 'all' };
  if (!isPlainObject(filter)) throw new TypeError(`filter: expected an object such as { category: 'a' }, got ${describe(filter)}`);
  return compileObject(filter, '', 0);
}
