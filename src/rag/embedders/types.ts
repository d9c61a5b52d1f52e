// The embedder contract every retrieval component depends on.

export interface Embedder {
  /** Identifies the model and its settings; embedding caches key on it. */
  readonly id: string;
  /**
   * Length of every vector `embed` returns. An embedder that learns it from
   * its first response (OpenAICompatibleEmbedder without `dimensions`, for a
   * model it does not know) throws here until then: see `dimension`/`probe`.
   */
  readonly dim: number;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /**
   * Optional, for embedders that learn their dimension: the dimension once
   * known, undefined before (never throws).
   */
  readonly dimension?: number | undefined;
  /**
   * Optional, for embedders that learn their dimension: resolves to `dim`,
   * embedding a short probe text first if it is not known yet.
   */
  probe?(): Promise<number>;
}

/** The embedder's dimension if it is known now, else undefined (never throws). */
export function knownDim(e: Embedder): number | undefined {
  if ('dimension' in e || typeof e.probe === 'function') return e.dimension;
  return e.dim;
}

/** The embedder's dimension, probing it (one request) if it is not known yet. */
export async function resolveDim(e: Embedder): Promise<number> {
  const d = knownDim(e);
  if (d !== undefined) return d;
  if (typeof e.probe !== 'function') return e.dim;
  return e.probe();
}

/** Throws a TypeError unless `value` looks like an Embedder. */
export function checkEmbedder(value: unknown, name = 'embedder'): Embedder {
  const e = value as Embedder;
  const ok = e !== null && typeof e === 'object' && typeof e.embed === 'function' && typeof e.id === 'string';
  // A dimension that is not known yet is fine for an embedder that can probe it.
  const dim = ok ? knownDim(e) : undefined;
  const dimOk = dim === undefined ? ok && typeof e.probe === 'function' : Number.isInteger(dim) && dim > 0;
  if (!ok || !dimOk) {
    throw new TypeError(`${name}: expected { id: string, dim: positive integer, embed(texts) }, got ${value === null ? 'null' : typeof value}`);
  }
  return e;
}

/** Throws a TypeError unless `texts` is an array of strings. */
export function checkTexts(texts: unknown, name = 'texts'): string[] {
  if (!Array.isArray(texts)) throw new TypeError(`${name}: expected an array of strings, got ${typeof texts}`);
  for (let i = 0; i < texts.length; i++) {
    if (typeof texts[i] !== 'string') throw new TypeError(`${name}[${i}]: expected a string, got ${typeof texts[i]}`);
  }
  return texts;
}
