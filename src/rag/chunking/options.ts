// Chunk shape and option validation shared by the text and markdown chunkers.
import { assertKnownKeys, optionKeys } from '../../util/options.js';
import { toTokenCounter, describeValue, type TokenCounter } from '../tokens.js';

export interface Chunk {
  /** Exactly `source.slice(start, end)`. */
  text: string;
  /** Position of the chunk in the document, from 0. */
  index: number;
  start: number;
  end: number;
  /** `tokenCounter.count(text)`. */
  tokens: number;
  metadata: Record<string, unknown>;
}

export interface ChunkOptions {
  /**
   * Most tokens in a chunk (default 512), counted by `tokenCounter` on the
   * chunk's text (a markdown chunk's heading line included, when it is in the
   * chunk). No chunk exceeds it, except a single character (or surrogate
   * pair) that the counter alone counts over chunkSize: it forms a chunk by itself.
   */
  chunkSize?: number;
  /**
   * Most tokens of trailing whole sentences repeated at the start of the next
   * chunk (default 50, or a quarter of chunkSize when that is smaller).
   */
  overlap?: number;
  /**
   * A final chunk smaller than this takes trailing sentences from the previous
   * chunk until it reaches this size (or is merged into it, when the two fit
   * chunkSize together); never dropped, and never at the cost of exceeding
   * chunkSize: when no rebalancing fits, the small chunk stays (default 100,
   * or a quarter of chunkSize when that is smaller).
   */
  minChunkSize?: number;
  /** Token counter (default: about 4 characters per token). */
  tokenCounter?: TokenCounter;
  /** Copied into every chunk's metadata. */
  metadata?: Record<string, unknown>;
}
export const CHUNK_OPTION_KEYS = optionKeys<ChunkOptions>()('chunkSize', 'overlap', 'minChunkSize', 'tokenCounter', 'metadata');

export interface ResolvedChunkOptions {
  chunkSize: number;
  overlap: number;
  minChunkSize: number;
  counter: TokenCounter;
  metadata: Record<string, unknown>;
}

function checkInt(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${name}: expected an integer, got ${describeValue(value)}`);
  }
  if (value < min) throw new RangeError(`${name}: expected an integer >= ${min}, got ${value}`);
  return value;
}

/** Validates chunking options; `where` names the call in unknown-key errors. */
export function resolveChunkOptions(options: ChunkOptions | undefined, where = 'chunk options'): ResolvedChunkOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`options: expected an object, got ${describeValue(options)}`);
  }
  assertKnownKeys(options, CHUNK_OPTION_KEYS, where);
  const o = options ?? {};
  const chunkSize = o.chunkSize === undefined ? 512 : checkInt(o.chunkSize, 'chunkSize', 1);
  const overlap = o.overlap === undefined ? Math.min(50, Math.floor(chunkSize / 4)) : checkInt(o.overlap, 'overlap', 0);
  if (overlap >= chunkSize) {
    throw new RangeError(`overlap: must be smaller than chunkSize (${chunkSize}), got ${overlap}`);
  }
  const minChunkSize =
    o.minChunkSize === undefined ? Math.min(100, Math.floor(chunkSize / 4)) : checkInt(o.minChunkSize, 'minChunkSize', 0);
  if (minChunkSize > chunkSize) {
    throw new RangeError(`minChunkSize: must not exceed chunkSize (${chunkSize}), got ${minChunkSize}`);
  }
  if (o.metadata !== undefined && (o.metadata === null || typeof o.metadata !== 'object' || Array.isArray(o.metadata))) {
    throw new TypeError(`metadata: expected a plain object, got ${describeValue(o.metadata)}`);
  }
  return { chunkSize, overlap, minChunkSize, counter: toTokenCounter(o.tokenCounter), metadata: o.metadata ?? {} };
}

export function checkSource(text: unknown, name = 'text'): string {
  if (typeof text !== 'string') throw new TypeError(`${name}: expected a string, got ${describeValue(text)}`);
  return text;
}
