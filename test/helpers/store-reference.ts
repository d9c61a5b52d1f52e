// An independent, direct implementation of the filter semantics (MongoDB
// conventions) over plain metadata objects, used to cross-check the indexed
// evaluation of VectorStore on random data.
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function own(o: unknown, k: string): boolean {
  return typeof o === 'object' && o !== null && !Array.isArray(o) && Object.prototype.hasOwnProperty.call(o, k);
}

/** Values reached by a dotted path, fanning out through arrays of objects. */
function resolve(doc: Json, path: string): Json[] {
  let cur: Json[] = [doc];
  for (const seg of path.split('.')) {
    const next: Json[] = [];
    for (const v of cur) {
      if (Array.isArray(v)) { for (const e of v) if (own(e, seg)) next.push((e as Record<string, Json>)[seg]); }
      else if (own(v, seg)) next.push((v as Record<string, Json>)[seg]);
    }
    cur = next;
  }
  return cur;
}

function same(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Candidate values compared by $eq and ranges: each value and, for arrays, each element. */
function candidates(doc: Json, path: string): Json[] {
  const out: Json[] = [];
  for (const v of resolve(doc, path)) {
    out.push(v);
    if (Array.isArray(v)) out.push(...v);
  }
  return out;
}

function eq(doc: Json, path: string, value: Json): boolean {
  if (value === null && resolve(doc, path).length === 0) return true;
  return candidates(doc, path).some((c) => same(c, value));
}

function cmp(doc: Json, path: string, op: string, bound: number | string): boolean {
  return candidates(doc, path).some((c) => {
    if (typeof c !== typeof bound || (typeof c !== 'number' && typeof c !== 'string')) return false;
    if (op === '$gt') return c > bound;
    if (op === '$gte') return c >= bound;
    if (op === '$lt') return c < bound;
    return c <= bound;
  });
}

function fieldMatches(doc: Json, path: string, cond: Json): boolean {
  const isOps = typeof cond === 'object' && cond !== null && !Array.isArray(cond) && Object.keys(cond).some((k) => k.startsWith('$'));
  if (!isOps) return eq(doc, path, cond);
  return Object.entries(cond as Record<string, Json>).every(([op, v]) => {
    switch (op) {
      case '$eq': return eq(doc, path, v);
      case '$ne': return !eq(doc, path, v);
      case '$in': return (v as Json[]).some((x) => eq(doc, path, x));
      case '$nin': return !(v as Json[]).some((x) => eq(doc, path, x));
      case '$exists': return (resolve(doc, path).length > 0) === v;
      case '$not': return !fieldMatches(doc, path, v);
      default: return cmp(doc, path, op, v as number | string);
    }
  });
}

export function referenceMatch(doc: Json, filter: Record<string, Json>): boolean {
  return Object.entries(filter).every(([key, v]) => {
    if (key === '$and') return (v as Record<string, Json>[]).every((f) => referenceMatch(doc, f));
    if (key === '$or') return (v as Record<string, Json>[]).some((f) => referenceMatch(doc, f));
    if (key === '$nor') return !(v as Record<string, Json>[]).some((f) => referenceMatch(doc, f));
    if (key === '$not') return !referenceMatch(doc, v as Record<string, Json>);
    return fieldMatches(doc, key, v);
  });
}
