// Sentence-aware chunking with exact offsets. Sentences are packed greedily up
// to chunkSize tokens; the next chunk repeats whole trailing sentences worth at
// most `overlap` tokens; a too-small final chunk is merged into the previous.
import { checkSource, resolveChunkOptions, type Chunk, type ChunkOptions, type ResolvedChunkOptions } from './options.js';
import { estimateTokens, type TokenCounter } from '../tokens.js';
import { forEachSentence, isSpace, type Span } from './sentences.js';

/** Splits plain text into chunks; `text.slice(c.start, c.end) === c.text`. */
export function chunkText(text: string, options?: ChunkOptions): Chunk[] {
  checkSource(text);
  const opts = resolveChunkOptions(options);
  return chunkSpans(text, 0, text.length, opts).map((s, index) => ({
    text: text.slice(s.start, s.end),
    index,
    start: s.start,
    end: s.end,
    tokens: opts.counter.count(text.slice(s.start, s.end)),
    metadata: { ...opts.metadata },
  }));
}

/** Chunk spans of source[from, to). Used by the markdown chunker per section. */
export function chunkSpans(source: string, from: number, to: number, opts: ResolvedChunkOptions): Span[] {
  const { chunkSize, overlap, minChunkSize, counter } = opts;
  const tokensOf = tokensOfFor(source, counter);
  const units = sentenceUnits(source, from, to, chunkSize, tokensOf);
  const { s: us, e: ue, n } = units;
  const chunks: Span[] = [];
  let a = 0;
  while (a < n) {
    let b = a + 1; // every unit fits on its own
    while (b < n && tokensOf(us[a], ue[b]) <= chunkSize) b++;
    chunks.push({ start: us[a], end: ue[b - 1] });
    if (b === n) break;
    // Carry trailing whole sentences of this chunk, as long as they fit the
    // overlap budget and still leave room for the next sentence; never all of
    // the chunk, so every step makes progress.
    let next = b;
    for (let j = b - 1; j > a && overlap > 0; j--) {
      if (tokensOf(us[j], ue[b - 1]) > overlap) break;
      if (tokensOf(us[j], ue[b]) > chunkSize) break;
      next = j;
    }
    a = next;
  }
  if (chunks.length >= 2) {
    const last = chunks[chunks.length - 1];
    if (tokensOf(last.start, last.end) < minChunkSize) {
      chunks.pop();
      chunks[chunks.length - 1].end = last.end;
    }
  }
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
    if (end < wordEnd && isLowSurrogate(source.charCodeAt(end)) && end - 1 > start) end--;
    out.add(start, end);
    start = end;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
