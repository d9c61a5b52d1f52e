// A reference evaluator of the store's filter language, written from the
// documented semantics (README "Filters", ARCHITECTURE "Filters") and reading
// nothing but one record's metadata: no indexes, no compilation, no merging of
// bounds. The differential tests (test/filter-differential.test.ts) check the
// indexed engine against it.
//
// The semantics, as implemented here:
// - A dotted path steps into an object's own field; when the value on the way
//   is an array, into that field of each of its object elements (one level:
//   arrays inside arrays are not entered). The path "reaches" 0..n values.
// - The candidates of a path: each reached value and, when it is an array,
//   each of its elements (one level).
// - `{ f: v }` / `$eq: v`: some candidate equals v (same type; objects and
//   arrays compared deeply, object keys in any order). `v === null` also
//   matches when the path reaches nothing (missing).
// - `$gt/$gte/$lt/$lte: b` (b a number or a string): some candidate of b's type
//   compares so; numbers never compare with strings, booleans and null never
//   compare.
// - Several operators on one field: each is a condition, ANDed. On an array
//   each condition may be met by a different element (MongoDB): `{ $gt: 5, $lt: 2 }`
//   matches [1, 10], and no single value.
// - `$ne` = not `$eq`; `$in` = some `$eq`; `$nin` = not `$in`; `$exists: true`
//   = the path reaches something (null and [] included); `$not: ops` = not ops.
// - `$and`/`$or`/`$nor` over lists of filters, `$not` over one filter; several
//   keys in one filter object are ANDed; `{}` matches everything.
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Meta = { [k: string]: Json };
export type ModelFilter = { [k: string]: Json };

function isObject(v: unknown): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function has(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** The values the dotted `path` reaches in `meta`. */
export function reach(meta: Meta, path: string): Json[] {
  let level: Json[] = [meta];
  for (const name of path.split('.')) {
    const next: Json[] = [];
    for (const v of level) {
      const holders = Array.isArray(v) ? v : [v];
      for (const h of holders) if (isObject(h) && has(h, name)) next.push(h[name]);
    }
    level = next;
  }
  return level;
}

function candidates(meta: Meta, path: string): Json[] {
  const out: Json[] = [];
  for (const v of reach(meta, path)) {
    out.push(v);
    if (Array.isArray(v)) for (const e of v) out.push(e);
  }
  return out;
}

/** Deep equality of JSON values; object keys in any order. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!has(b, k) || !jsonEqual(a[k], b[k])) return false;
  return true;
}

function equals(meta: Meta, path: string, operand: Json): boolean {
  if (operand === null && reach(meta, path).length === 0) return true;
  return candidates(meta, path).some((c) => jsonEqual(c, operand));
}

function compares(meta: Meta, path: string, op: string, bound: number | string): boolean {
  return candidates(meta, path).some((c) => {
    if (typeof c !== typeof bound) return false; // numbers with numbers, strings with strings
    const x = c as number | string;
    switch (op) {
      case '$gt': return x > bound;
      case '$gte': return x >= bound;
      case '$lt': return x < bound;
      case '$lte': return x <= bound;
    }
    throw new Error(`model: not a range operator: ${op}`);
  });
}

function isOperatorObject(cond: Json): cond is { [k: string]: Json } {
  return isObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'));
}

function fieldHolds(meta: Meta, path: string, cond: Json): boolean {
  if (!isOperatorObject(cond)) return equals(meta, path, cond);
  for (const op of Object.keys(cond)) {
    const v = cond[op];
    let ok: boolean;
    switch (op) {
      case '$eq': ok = equals(meta, path, v); break;
      case '$ne': ok = !equals(meta, path, v); break;
      case '$in': ok = (v as Json[]).some((x) => equals(meta, path, x)); break;
      case '$nin': ok = !(v as Json[]).some((x) => equals(meta, path, x)); break;
      case '$exists': ok = (reach(meta, path).length > 0) === v; break;
      case '$not': ok = !fieldHolds(meta, path, v); break;
      case '$gt': case '$gte': case '$lt': case '$lte': ok = compares(meta, path, op, v as number | string); break;
      default: throw new Error(`model: unknown operator ${op}`);
    }
    if (!ok) return false;
  }
  return true;
}

/** Whether a record with metadata `meta` matches `filter`. */
export function modelMatch(meta: Meta, filter: ModelFilter): boolean {
  for (const key of Object.keys(filter)) {
    const v = filter[key];
    let ok: boolean;
    switch (key) {
      case '$and': ok = (v as ModelFilter[]).every((f) => modelMatch(meta, f)); break;
      case '$or': ok = (v as ModelFilter[]).some((f) => modelMatch(meta, f)); break;
      case '$nor': ok = !(v as ModelFilter[]).some((f) => modelMatch(meta, f)); break;
      case '$not': ok = !modelMatch(meta, v as ModelFilter); break;
      default: ok = fieldHolds(meta, key, v);
    }
    if (!ok) return false;
  }
  return true;
}
