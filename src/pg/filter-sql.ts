// Compiles the filter language's tree (src/store/filter: compileFilter parses and
// validates, here the FilterNode is translated) into one SQL boolean expression
// over the jsonb metadata column, with the exact semantics of the in-process
// evaluator (src/store/filter/evaluate.ts, field-index.ts):
//
// - A dotted path reaches values through objects; an array on the way fans out
//   into its object elements (arrays directly inside arrays are not entered).
//   R(P) is the set of values reached.
// - E(P) is R(P) plus the elements of the arrays in R(P): equality with any
//   operand (scalar, array or object) is "some element of E(P) equals it", with
//   jsonb equality (type-strict: the number 5 never equals the string "5";
//   objects regardless of key order; arrays in order).
// - `null` also matches a record where the path reaches nothing.
// - A range holds when some number (string) of E(P) meets the lower bound and
//   some number (string) of E(P) meets the upper bound (MongoDB semantics for
//   arrays); strings compare by UTF-16 code units like JavaScript.
// - exists: R(P) is not empty. not/and/or: boolean; every expression here is
//   two-valued (never SQL NULL), so NOT is the complement, as in process.
//
// Nothing from the filter is interpolated: field names, values and bounds are
// all query parameters ($n, sent as text and cast), so a hostile key or value
// can only ever be compared, never parsed as SQL.
import type { JsonValue } from '../store/metadata.js';
import type { FilterNode } from '../store/filter/types.js';

/** Collects query parameters; add() returns the placeholder. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A text parameter. */
  text(value: string): string {
    return `${this.add(value)}::text`;
  }
  /** A jsonb parameter, sent as its JSON text. */
  jsonb(value: JsonValue): string {
    return `${this.add(JSON.stringify(value))}::text::jsonb`;
  }
}

const NUL_OR_LONE_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws a RangeError when `s` cannot be stored in PostgreSQL text: NUL (U+0000),
 * which text and jsonb cannot hold, or a lone surrogate, which is not Unicode
 * (UTF-8 encoding would silently replace it, so two ids could collide).
 */
export function checkPgString(s: string, where: string): void {
  const m = NUL_OR_LONE_SURROGATE.exec(s);
  if (!m) return;
  const what = m[0] === '\u0000' ? 'NUL (U+0000), which PostgreSQL text cannot hold'
    : `a lone surrogate (U+${m[0].charCodeAt(0).toString(16).toUpperCase()}), which is not Unicode text`;
  throw new RangeError(`${where}: contains ${what}`);
}

/** Checks every string (and object key) of a JSON value with checkPgString. */
export function checkPgJson(v: JsonValue, where: string): void {
  if (typeof v === 'string') checkPgString(v, where);
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) checkPgJson(v[i], where);
  else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      checkPgString(k, `${where} (a key)`);
      checkPgJson(v[k], where);
    }
  }
}

/** Checks that a compiled filter holds no string PostgreSQL cannot represent (see checkPgString). */
export function checkPgFilter(node: FilterNode): void {
  switch (node.kind) {
    case 'all': return;
    case 'and': case 'or': node.children.forEach(checkPgFilter); return;
    case 'not': checkPgFilter(node.child); return;
    case 'exists': checkPgString(node.path, 'filter: field path'); return;
    case 'in':
      checkPgString(node.path, 'filter: field path');
      for (const v of node.values) checkPgJson(v, `filter at ${JSON.stringify(node.path)}: value`);
      return;
    case 'range':
      checkPgString(node.path, 'filter: field path');
      if (typeof node.lo === 'string') checkPgString(node.lo, `filter at ${JSON.stringify(node.path)}: bound`);
      if (typeof node.hi === 'string') checkPgString(node.hi, `filter at ${JSON.stringify(node.path)}: bound`);
  }
}

// JavaScript orders strings by UTF-16 code units; PostgreSQL's "C" collation by
// code points (UTF-8 bytes). They differ only between U+E000..U+FFFF and the
// supplementary planes (U+10000 up), which UTF-16 puts below U+E000. A prefix
// code restores the UTF-16 order: c in U+E000..U+FFFF -> U+10FFFF c, and
// U+10FFFF -> U+10FFFF U+0001; every other character stays. It is applied (to
// both sides) only when the bound has a character from U+D800 up, since
// otherwise the first difference can never be between those two classes.
const MAX_CP = '\u{10FFFF}';
const HIGH_BMP_CLASS = '([\uE000-\uFFFF])';
function utf16Key(s: string): string {
  return s.replace(/\u{10FFFF}/gu, `${MAX_CP}\u0001`).replace(/[\uE000-\uFFFF]/g, `${MAX_CP}$&`);
}

export class FilterSql {
  #n = 0;
  constructor(readonly params: SqlParams, readonly column: string) {}

  /** The SQL boolean expression for `node`. */
  compile(node: FilterNode): string {
    switch (node.kind) {
      case 'all': return 'TRUE';
      case 'and': return `(${node.children.map((c) => this.compile(c)).join(' AND ')})`;
      case 'or': return `(${node.children.map((c) => this.compile(c)).join(' OR ')})`;
      case 'not': return `(NOT ${this.compile(node.child)})`;
      case 'exists': return this.#exists(node.path.split('.'));
      case 'in': return this.#in(node.path.split('.'), node.values);
      case 'range': return this.#range(node);
    }
  }

  /** `SELECT v ...`: the values R(P) reached by the path. */
  #reach(segs: string[], keys: string[]): string {
    const M = this.column;
    let q = `SELECT ${M} -> ${keys[0]} AS v WHERE ${M} ? ${keys[0]}`;
    for (let i = 1; i < segs.length; i++) {
      const n = ++this.#n;
      q = `SELECT c${n}.v FROM (${q}) p${n} CROSS JOIN LATERAL (SELECT p${n}.v -> ${keys[i]} AS v UNION ALL ` +
        `SELECT a${n}.x -> ${keys[i]} FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p${n}.v) = 'array' THEN p${n}.v END) AS a${n}(x)) c${n} ` +
        `WHERE c${n}.v IS NOT NULL`;
    }
    return q;
  }

  /** `SELECT x ...`: E(P), the values reached plus the elements of those that are arrays. */
  #elements(reach: string): string {
    const n = ++this.#n;
    return `SELECT e${n}.x FROM (${reach}) r${n} CROSS JOIN LATERAL (SELECT r${n}.v AS x UNION ALL ` +
      `SELECT b${n}.x FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r${n}.v) = 'array' THEN r${n}.v END) AS b${n}(x)) e${n}`;
  }

  #keys(segs: string[]): string[] {
    return segs.map((s) => this.params.text(s));
  }

  #exists(segs: string[]): string {
    const keys = this.#keys(segs);
    if (segs.length === 1) return `(${this.column} ? ${keys[0]})`;
    return `(${this.column} ? ${keys[0]} AND EXISTS (${this.#reach(segs, keys)}))`;
  }

  #in(segs: string[], values: JsonValue[]): string {
    if (values.length === 0) return 'FALSE'; // $in: [] matches nothing ($nin: [] everything)
    const M = this.column;
    let keyParams: string[] | undefined;
    const keys = () => (keyParams ??= this.#keys(segs)); // only allocated when used (an unused $n has no type)
    const parts: string[] = [];
    const hasNull = values.some((v) => v === null);
    if (hasNull) parts.push(`(NOT ${this.#exists(segs)})`);
    if (segs.length === 1) {
      // One segment: containment, which the GIN index answers. For a scalar c,
      // M @> {k: c} holds exactly when M->k = c, and M @> {k: [c]} when M->k is an
      // array with an element equal to c (a nested array never contains a scalar).
      const composite: JsonValue[] = [];
      for (const v of values) {
        if (v !== null && typeof v === 'object') composite.push(v);
        else parts.push(`${M} @> ${this.params.jsonb({ [segs[0]]: v })}`, `${M} @> ${this.params.jsonb({ [segs[0]]: [v] })}`);
      }
      if (composite.length > 0) {
        const list = composite.map((v) => this.params.jsonb(v)).join(', ');
        parts.push(`(${M} ? ${keys()[0]} AND EXISTS (SELECT 1 FROM (${this.#elements(this.#reach(segs, keys()))}) q WHERE q.x IN (${list})))`);
      }
    } else {
      const list = values.map((v) => this.params.jsonb(v)).join(', ');
      parts.push(`(${M} ? ${keys()[0]} AND EXISTS (SELECT 1 FROM (${this.#elements(this.#reach(segs, keys()))}) q WHERE q.x IN (${list})))`);
    }
    return parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  }

  #range(node: Extract<FilterNode, { kind: 'range' }>): string {
    const segs = node.path.split('.');
    const keys = this.#keys(segs);
    const conds: string[] = [`${this.column} ? ${keys[0]}`];
    const bound = (value: number | string, op: string): string => {
      const elements = this.#elements(this.#reach(segs, keys));
      if (node.type === 'number') {
        // CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and the cast fails on a non-number.
        return `EXISTS (SELECT 1 FROM (${elements}) q WHERE CASE WHEN jsonb_typeof(q.x) = 'number' THEN (q.x)::numeric ${op} ${this.params.text(JSON.stringify(value))}::numeric ELSE FALSE END)`;
      }
      const s = value as string;
      let lhs = `(q.x #>> '{}')`;
      let rhs: string;
      if (!/[\uD800-\uFFFF]/.test(s)) rhs = this.params.text(s);
      else {
        lhs = `regexp_replace(regexp_replace(${lhs}, ${this.params.text(MAX_CP)}, ${this.params.text(`${MAX_CP}\u0001`)}, 'g'), ` +
          `${this.params.text(HIGH_BMP_CLASS)}, ${this.params.text(`${MAX_CP}\\1`)}, 'g')`;
        rhs = this.params.text(utf16Key(s));
      }
      return `EXISTS (SELECT 1 FROM (${elements}) q WHERE CASE WHEN jsonb_typeof(q.x) = 'string' THEN ${lhs} COLLATE "C" ${op} ${rhs} COLLATE "C" ELSE FALSE END)`;
    };
    if (node.lo !== undefined) conds.push(bound(node.lo, node.loInclusive ? '>=' : '>'));
    if (node.hi !== undefined) conds.push(bound(node.hi, node.hiInclusive ? '<=' : '<'));
    return `(${conds.join(' AND ')})`;
  }
}

/** The SQL boolean expression for a compiled filter over the jsonb `column`; parameters go to `params`. */
export function filterToSql(node: FilterNode, params: SqlParams, column = 'metadata'): string {
  return new FilterSql(params, column).compile(node);
}
