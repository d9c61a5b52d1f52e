// Token counting for chunking and context packing. Pluggable so that an exact
// tokenizer (js-tiktoken, a Hugging Face tokenizer) can replace the estimate.

export interface TokenCounter {
  /** Number of tokens in `text` (0 for the empty string). */
  count(text: string): number;
}

/**
 * The default estimate: about 4 characters per token (OpenAI's rule of thumb
 * for English), at least 1 for any non-empty text. Cheap enough to call per
 * sentence while chunking.
 */
export const estimateTokens: TokenCounter = {
  count(text: string): number {
    return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
  },
};

/** Validates a user-supplied counter (or returns the default). */
export function toTokenCounter(counter: unknown, name = 'tokenCounter'): TokenCounter {
  if (counter === undefined || counter === null) return estimateTokens;
  if (typeof counter === 'object' && typeof (counter as TokenCounter).count === 'function') return counter as TokenCounter;
  if (typeof counter === 'function') return { count: counter as (t: string) => number };
  throw new TypeError(`${name}: expected { count(text): number }, got ${describeValue(counter)}`);
}

/** Short description of a value for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return (v as object).constructor?.name ? `a ${(v as object).constructor.name}` : 'an object';
  return typeof v;
}
