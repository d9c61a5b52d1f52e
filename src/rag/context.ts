// Turning retrieved hits into the context of a prompt: ordering against
// "lost in the middle" and packing under a token budget with citations.
import { assertKnownKeys, optionKeys } from '../util/options.js';
import { estimateTokens, toTokenCounter, type TokenCounter } from './tokens.js';

export interface ContextHit {
  id: string;
  docId?: string;
  chunkIndex?: number;
  text: string;
  score?: number;
  start?: number;
  end?: number;
  metadata?: Record<string, unknown>;
}

export interface Citation {
  /** Number of the passage in the context ([1], [2], ...). */
  ref: number;
  id: string;
  docId?: string;
  chunkIndex?: number;
  start?: number;
  end?: number;
  metadata?: Record<string, unknown>;
}

export interface BuildContextOptions {
  /** Token budget for the whole context, separators and labels included (default 3000). */
  maxTokens?: number;
  /** Between passages (default a blank line). */
  separator?: string;
  /** Label in front of each passage (default `[n] `); return '' for none. */
  label?: (ref: number, hit: ContextHit) => string;
  tokenCounter?: TokenCounter;
}
export const BUILD_CONTEXT_OPTION_KEYS = optionKeys<BuildContextOptions>()('maxTokens', 'separator', 'label', 'tokenCounter');

/**
 * Orders hits (given best first) so the strongest sit at the edges of the
 * context, where models attend best: 1st, 3rd, 5th, ... from the front and
 * 2nd, 4th, ... from the back, the weakest in the middle.
 */
export function reorderForContext<T>(hits: readonly T[]): T[] {
  if (!Array.isArray(hits)) throw new TypeError('hits: expected an array');
  const front: T[] = [];
  const back: T[] = [];
  hits.forEach((h, i) => (i % 2 === 0 ? front.push(h) : back.push(h)));
  return front.concat(back.reverse());
}

/**
 * Packs hits in the given order while they fit in maxTokens; a hit that does
 * not fit is skipped (a shorter one later may still fit). Returns the text and
 * a citation per passage used.
 */
export function buildContext(hits: readonly ContextHit[], options: BuildContextOptions = {}): { text: string; citations: Citation[]; tokens: number } {
  if (!Array.isArray(hits)) throw new TypeError('hits: expected an array of { id, text }');
  if (options === null || typeof options !== 'object') throw new TypeError('buildContext options: expected an object');
  assertKnownKeys(options, BUILD_CONTEXT_OPTION_KEYS, 'buildContext options');
  const maxTokens = options.maxTokens ?? 3000;
  if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new RangeError(`maxTokens: expected a non-negative integer, got ${String(maxTokens)}`);
  const counter = options.tokenCounter === undefined ? estimateTokens : toTokenCounter(options.tokenCounter);
  const separator = options.separator ?? '\n\n';
  const label = options.label ?? ((ref: number) => `[${ref}] `);
  const parts: string[] = [];
  const citations: Citation[] = [];
  let used = 0;
  const sepTokens = counter.count(separator);
  hits.forEach((hit, i) => {
    if (hit === null || typeof hit !== 'object' || typeof hit.text !== 'string') {
      throw new TypeError(`hits[${i}]: expected { id, text }, got ${hit === null ? 'null' : typeof hit}`);
    }
    const ref = citations.length + 1;
    const passage = label(ref, hit) + hit.text;
    const cost = counter.count(passage) + (parts.length > 0 ? sepTokens : 0);
    if (used + cost > maxTokens) return;
    used += cost;
    parts.push(passage);
    citations.push({
      ref,
      id: hit.id,
      docId: hit.docId,
      chunkIndex: hit.chunkIndex,
      start: hit.start,
      end: hit.end,
      metadata: hit.metadata,
    });
  });
  return { text: parts.join(separator), citations, tokens: used };
}
