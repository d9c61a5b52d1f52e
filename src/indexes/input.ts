// Normalisation and validation of user input shared by every index wrapper.
// Each check names the argument and says what was expected and what came in.

/** One vector: a Float32Array or a plain array of numbers. */
export type VectorLike = Float32Array | readonly number[];
/** Many vectors: one row-major Float32Array (n * dim) or an array of vectors. */
export type VectorsLike = Float32Array | readonly VectorLike[];
/** Labels: non-negative safe integers (up to 2^53 - 1). */
export type LabelsLike = readonly number[] | Float64Array | Uint32Array | Int32Array;

export type Metric = 'cosine' | 'euclidean' | 'ip';
export const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'ip'];

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

export function checkDim(dim: unknown): number {
  if (typeof dim !== 'number') throw new TypeError(`dim: expected a positive integer, got ${describe(dim)}`);
  if (!Number.isInteger(dim) || dim < 1 || dim > 65536)
    throw new RangeError(`dim: expected an integer from 1 to 65536, got ${dim}`);
  return dim;
}

export function checkMetric(metric: unknown): Metric {
  if (typeof metric !== 'string' || !METRICS.includes(metric as Metric))
    throw new (typeof metric === 'string' ? RangeError : TypeError)(
      `metric: expected 'cosine', 'euclidean' or 'ip', got ${describe(metric)}`,
    );
  return metric as Metric;
}

export function checkK(k: unknown): number {
  if (typeof k !== 'number') throw new TypeError(`k: expected a positive integer, got ${describe(k)}`);
  if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`k: expected a positive integer, got ${k}`);
  return k;
}

/** A vector count for reserve(): an integer from 0 to 2^32 - 2. */
export function checkCount(n: unknown, name = 'n'): number {
  if (typeof n !== 'number') throw new TypeError(`${name}: expected a non-negative integer, got ${describe(n)}`);
  if (!Number.isInteger(n) || n < 0 || n > 4294967294)
    throw new RangeError(`${name}: expected an integer from 0 to 4294967294, got ${n}`);
  return n;
}

/** The output array of getVectors(): the caller's (checked) or a new one. */
export function checkOut(out: unknown, count: number, dim: number): Float32Array {
  if (out === undefined) return new Float32Array(count * dim);
  if (!(out instanceof Float32Array)) throw new TypeError(`out: expected a Float32Array, got ${describe(out)}`);
  if (out.length !== count * dim)
    throw new RangeError(`out: expected ${count} x ${dim} = ${count * dim} floats, got ${out.length}`);
  return out;
}

export function checkThreads(threads: unknown): number | undefined {
  if (threads === undefined) return undefined;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 4096)
    throw new RangeError(`threads: expected an integer from 1 to 4096, got ${describe(threads)}`);
  return threads;
}

/**
 * True when a typed array views a SharedArrayBuffer: another thread can write it
 * at any moment, so it is copied before it is checked and only the copy is used
 * (a check on shared memory says nothing about what native code reads next).
 */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

export function toLabels(labels: unknown, name = 'labels'): Float64Array {
  let out: Float64Array;
  if (labels instanceof Float64Array) out = isShared(labels) ? labels.slice() : labels;
  else if (Array.isArray(labels) || labels instanceof Uint32Array || labels instanceof Int32Array) {
    out = new Float64Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i];
      if (typeof v !== 'number') throw new TypeError(`${name}[${i}]: expected a number, got ${describe(v)}`);
      out[i] = v;
    }
  } else {
    throw new TypeError(`${name}: expected an array of numbers, Float64Array or Uint32Array, got ${describe(labels)}`);
  }
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`${name}[${i}]: expected a non-negative integer label up to 2^53-1, got ${v}`);
  }
  return out;
}

function copyVector(v: unknown, dim: number, name: string, out: Float32Array, offset: number): void {
  if (v instanceof Float32Array || Array.isArray(v)) {
    if (v.length !== dim) throw new RangeError(`${name}: expected dimension ${dim}, got ${v.length}`);
    if (v instanceof Float32Array) {
      out.set(v, offset);
      return;
    }
    for (let j = 0; j < dim; j++) {
      const x = v[j];
      if (typeof x !== 'number') throw new TypeError(`${name}[${j}]: expected a number, got ${describe(x)}`);
      out[offset + j] = x;
    }
    return;
  }
  throw new TypeError(`${name}: expected a Float32Array or an array of numbers, got ${describe(v)}`);
}

/** Returns the vectors as one row-major Float32Array of count * dim floats. */
export function toVectors(vectors: unknown, dim: number, name = 'vectors'): { data: Float32Array; count: number } {
  if (vectors instanceof Float32Array) {
    if (vectors.length % dim !== 0)
      throw new RangeError(`${name}: a Float32Array of ${vectors.length} floats is not a whole number of ${dim}-dimensional vectors`);
    return { data: isShared(vectors) ? vectors.slice() : vectors, count: vectors.length / dim };
  }
  if (!Array.isArray(vectors))
    throw new TypeError(`${name}: expected a Float32Array (n * dim) or an array of vectors, got ${describe(vectors)}`);
  // A flat number[] of one vector is a common slip for a single query; say so.
  if (vectors.length > 0 && typeof vectors[0] === 'number')
    throw new TypeError(`${name}: expected an array of vectors, got an array of numbers (wrap a single vector in an array, or pass a Float32Array)`);
  const data = new Float32Array(vectors.length * dim);
  for (let i = 0; i < vectors.length; i++) copyVector(vectors[i], dim, `${name}[${i}]`, data, i * dim);
  return { data, count: vectors.length };
}

/**
 * One query vector as a Float32Array of dim floats. With `into`, the query is
 * copied there (sync searches reuse one buffer: handing V8 a fresh small typed
 * array to native code costs more than a small search).
 */
export function toQuery(query: unknown, dim: number, name = 'query', into?: Float32Array): Float32Array {
  if (query instanceof Float32Array && !into) {
    if (query.length !== dim) throw new RangeError(`${name}: expected dimension ${dim}, got ${query.length}`);
    return isShared(query) ? query.slice() : query;
  }
  const out = into ?? new Float32Array(dim);
  copyVector(query, dim, name, out, 0);
  return out;
}

/** Labels and vectors of an add(), checked against each other. */
export function toBatch(labels: unknown, vectors: unknown, dim: number): { labels: Float64Array; vectors: Float32Array } {
  const l = toLabels(labels);
  const v = toVectors(vectors, dim);
  if (v.count !== l.length)
    throw new RangeError(`vectors: expected ${l.length} vectors (one per label), got ${v.count}`);
  return { labels: l, vectors: v.data };
}
