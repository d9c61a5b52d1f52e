// Sentence-aware chunking with exact offsets. Sentences are packed greedily up
// to chunkSize tokens; the next chunk repeats whole trailing sentences worth at
// most `overlap` tokens; a too-small final chunk is merged into the previous
// one when that fits chunkSize, else rebalanced with it. No chunk ever counts
// more than chunkSize tokens, unless it is one character the counter counts
// over chunkSize by itself.
import { checkSource, resolveChunkOptions, type Chunk, type ChunkOptions, type ResolvedChunkOptions } from './options.js';
import { estimateTokens, type TokenCounter } from '../tokens.js';
import { forEachSentence, isSpace, type Span } from './sentences.js';

/** Splits plain text into chunks; `text.slice(c.start, c.end) === c.text`. */
export function chunkText(text: string, options?: ChunkOptions): Chunk[] {
  checkSource(text);
  const opts = resolveChunkOptions(options, 'chunkText options');
  return chunkSpans(text, 0, text.length, opts).map((s, index) => ({
    text: text.slice(s.start, s.end),
    index,
    start: s.start,
    end: s.end,
    tokens: opts.counter.count(text.slice(s.start, s.end)),
    metadata: { ...opts.metadata },
  }));
}

/**
 * Chunk spans of source[from, to). Used by the markdown chunker per section.
 *
 * The budget: no span counts more than chunkSize tokens (by the counter given),
 * unless it is a single token the counter cannot fit (a lone character that
 * counts over chunkSize): that piece then forms a chunk by itself. The overlap
 * a span repeats from the previous one counts at most `overlap` tokens.
 */
export function chunkSpans(source: string, from: number, to: number, opts: ResolvedChunkOptions): Span[] {
  const { chunkSize, overlap, minChunkSize, counter } = opts;
  const tokensOf = tokensOfFor(source, counter);
  const units = sentenceUnits(source, from, to, chunkSize, tokensOf);
  const { s: us, e: ue, n } = units;
  // Chunks as unit ranges [a, b).
  const ca: number[] = [];
  const cb: number[] = [];
  /**
   * Where the chunk after units [a, b) starts: trailing whole units of [a, b)
   * worth at most `overlap` tokens, as long as they still leave room for unit
   * `b`; never all of [a, b), so every step makes progress.
   */
  const nextStart = (a: number, b: number): number => {
    let next = b;
    for (let j = b - 1; j > a && overlap > 0; j--) {
      if (tokensOf(us[j], ue[b - 1]) > overlap) break;
      if (b < n && tokensOf(us[j], ue[b]) > chunkSize) break;
      next = j;
    }
    return next;
  };
  let a = 0;
  while (a < n) {
    let b = a + 1; // every unit fits on its own
    while (b < n && tokensOf(us[a], ue[b]) <= chunkSize) b++;
    ca.push(a);
    cb.push(b);
    if (b === n) break;
    a = nextStart(a, b);
  }
  const m = ca.length;
  if (m >= 2 && tokensOf(us[ca[m - 1]], ue[n - 1]) < minChunkSize) {
    // A small final chunk. Merged into the previous one only when the result
    // still fits chunkSize (merging regardless was how chunks overran their
    // budget: by up to minChunkSize - 1 tokens, 99 with the defaults).
    // Otherwise the previous chunk gives up trailing units, one at a time,
    // until the final chunk (rebuilt with the usual overlap) reaches
    // minChunkSize without exceeding chunkSize; if none does, the small
    // final chunk stays as it is.
    const pa = ca[m - 2];
    if (tokensOf(us[pa], ue[n - 1]) <= chunkSize) {
      ca.pop();
      cb.pop();
      cb[m - 2] = n;
    } else {
      // The previous chunk keeps at least one unit that the chunk before it does not have.
      const floor = m >= 3 ? Math.max(pa, cb[m - 3]) : pa;
      for (let b = cb[m - 2] - 1; b > floor; b--) {
        let next = nextStart(pa, b);
        while (next < b && tokensOf(us[next], ue[n - 1]) > chunkSize) next++;
        const t = tokensOf(us[next], ue[n - 1]);
        if (t > chunkSize) break; // the tail only grows from here
        if (t >= minChunkSize) {
          cb[m - 2] = b;
          ca[m - 1] = next;
          break;
        }
      }
    }
  }
  const chunks: Span[] = new Array(ca.length);
  for (let i = 0; i < ca.length; i++) chunks[i] = { start: us[ca[i]], end: ue[cb[i] - 1] };
  return chunks;
}

/**
 * Spans as two growable offset arrays. Tiny sentences ("! ! ! ...") as an
 * object each, in plain arrays, made the GC cost grow faster than the input.
 */
class SpanList {
  s = new Int32Array(64);
  e = new Int32Array(64);
  n = 0;
  add(start: number, end: number): void {
    if (this.n === this.s.length) {
      const s = new Int32Array(this.n * 2);
      const e = new Int32Array(this.n * 2);
      s.set(this.s);
      e.set(this.e);
      this.s = s;
      this.e = e;
    }
    this.s[this.n] = start;
    this.e[this.n] = end;
    this.n++;
  }
}

type TokensOf = (start: number, end: number) => number;

/**
 * Tokens of source[start, end). The default estimate depends on the length
 * only, so it is computed without slicing (same value as estimateTokens.count).
 */
function tokensOfFor(source: string, counter: TokenCounter): TokensOf {
  if (counter === estimateTokens) return (start, end) => (end <= start ? 0 : Math.max(1, Math.ceil((end - start) / 4)));
  return (start, end) => counter.count(source.slice(start, end));
}

/** Sentences of source[from, to), with sentences over chunkSize split at word boundaries. */
function sentenceUnits(source: string, from: number, to: number, chunkSize: number, tokensOf: TokensOf): SpanList {
  const region = from === 0 && to === source.length ? source : source.slice(from, to);
  const units = new SpanList();
  forEachSentence(region, (s, e) => {
    const start = s + from;
    const end = e + from;
    if (tokensOf(start, end) <= chunkSize) units.add(start, end);
    else splitAtWords(source, start, end, chunkSize, tokensOf, units);
  });
  return units;
}

function splitAtWords(
  source: string,
  sentenceStart: number,
  sentenceEnd: number,
  chunkSize: number,
  tokensOf: TokensOf,
  out: SpanList,
): void {
  // Words are the maximal non-whitespace runs inside the sentence. The scan
  // stops at the sentence's end: a /\S+/g search from the sentence's start ran
  // on past it through the rest of the text when no whitespace followed (CJK
  // sentences), once per over-long sentence.
  const words = new SpanList();
  let p = sentenceStart;
  while (p < sentenceEnd) {
    while (p < sentenceEnd && isSpace(source.charCodeAt(p))) p++;
    if (p === sentenceEnd) break;
    const start = p;
    while (p < sentenceEnd && !isSpace(source.charCodeAt(p))) p++;
    if (tokensOf(start, p) <= chunkSize) words.add(start, p);
    else splitWord(source, start, p, chunkSize, tokensOf, words);
  }
  const { s: ws, e: we, n } = words;
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && tokensOf(ws[i], we[j]) <= chunkSize) j++;
    out.add(ws[i], we[j - 1]);
    i = j;
  }
}

/**
 * A single word longer than chunkSize: cut into the longest pieces that fit,
 * never inside a surrogate pair. Each piece's end is found by doubling the
 * length, then bisecting between the last length that fit and the first that
 * did not, so the texts counted are at most about twice the piece (bisecting
 * up to the end of the word counted texts as long as the rest of the word for
 * every piece: quadratic with a counter that reads its text). For a counter
 * whose count never decreases as the text grows, the piece is the same as a
 * bisection over the whole word gives.
 */
function splitWord(
  source: string,
  wordStart: number,
  wordEnd: number,
  chunkSize: number,
  tokensOf: TokensOf,
  out: SpanList,
): void {
  let start = wordStart;
  while (start < wordEnd) {
    // Largest end in (start, wordEnd] with tokensOf(start, end) <= chunkSize, at least start + 1.
    let lo = start + 1; // fits, or is the minimum piece anyway
    let hi = wordEnd; // the answer is <= hi
    let step = 1;
    while (lo < hi) {
      const probe = Math.min(start + 2 * step, hi);
      if (tokensOf(start, probe) <= chunkSize) {
        lo = probe;
        step *= 2;
      } else {
        hi = probe - 1;
        break;
      }
    }
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (tokensOf(start, mid) <= chunkSize) lo = mid;
      else hi = mid - 1;
    }
    let end = lo;
    // Never cut a surrogate pair: step back, or, when the piece is the pair's
    // first half alone, take the whole pair (one code point, the least a piece can be).
    if (end < wordEnd && isLowSurrogate(source.charCodeAt(end))) end = end - 1 > start ? end - 1 : end + 1;
    out.add(start, end);
    start = end;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
