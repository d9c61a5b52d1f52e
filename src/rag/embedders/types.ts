// The embedder contract every retrieval component depends on.

export interface Embedder {
  /** Identifies the model and its settings; embedding caches key on it. */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dim: number;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Throws a TypeError unless `value` looks like an Embedder. */
export function checkEmbedder(value: unknown, name = 'embedder'): Embedder {
  const e = value as Embedder;
  if (
    e === null ||
    typeof e !== 'object' ||
    typeof e.embed !== 'function' ||
    typeof e.id !== 'string' ||
    !Number.isInteger(e.dim) ||
    e.dim <= 0
  ) {
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
