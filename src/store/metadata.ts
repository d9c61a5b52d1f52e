// Metadata is plain JSON data. Records are copied on the way in and out, so the
// store never holds or hands out the caller's objects; keys such as `__proto__`
// become ordinary own properties and can never reach a prototype.
import { describe } from '../indexes/input.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Metadata = { [key: string]: JsonValue };

const MAX_DEPTH = 64;

/** Sets an own, enumerable data property (plain assignment of `__proto__` would set the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A deep copy of `value` if it is plain JSON data; otherwise throws a TypeError
 * whose message names `where` plus the path inside the value.
 */
export function copyJson(value: unknown, where: string, depth = 0): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value as JsonValue;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${where}: expected JSON data, got ${value} (not finite)`);
    return value;
  }
  if (depth >= MAX_DEPTH) throw new TypeError(`${where}: nested deeper than ${MAX_DEPTH} levels (or circular)`);
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new TypeError(`${where}[${i}]: expected JSON data, got a hole in a sparse array`);
      out[i] = copyJson(value[i], `${where}[${i}]`, depth + 1);
    }
    return out;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) setOwn(out, key, copyJson((value as Record<string, unknown>)[key], `${where}.${key}`, depth + 1));
    return out;
  }
  const what = typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'a class'}` : describe(value);
  throw new TypeError(`${where}: expected JSON data (null, boolean, finite number, string, array or plain object), got ${what}`);
}

/** A validated copy of a record's metadata; undefined gives a fresh empty object. */
export function copyMetadata(value: unknown, where: string): Metadata {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value))
    throw new TypeError(`${where}: expected a plain object, got ${describe(value)}`);
  return copyJson(value, where) as Metadata;
}

/**
 * A copy of stored metadata to hand to a caller (stored objects are never
 * exposed). Stored metadata was validated on the way in, so this copies
 * without re-checking: it runs for every hit of every query.
 */
export function cloneMetadata(value: Metadata): Metadata {
  // Spread copies own enumerable properties as data properties (an own `__proto__` key included).
  const out: Metadata = { ...value };
  for (const key of Object.keys(out)) {
    const v = out[key];
    if (v !== null && typeof v === 'object') setOwn(out, key, cloneValue(v));
  }
  return out;
}

function cloneValue(v: JsonValue[] | { [key: string]: JsonValue }): JsonValue {
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      out[i] = e === null || typeof e !== 'object' ? e : cloneValue(e);
    }
    return out;
  }
  return cloneMetadata(v);
}
