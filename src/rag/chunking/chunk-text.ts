// Sentence-aware chunking with exact offsets. Sentences are packed greedily up
// to chunkSize tokens; the next chunk repeats whole trailing sentences worth at
// most `overlap` tokens; a too-small final chunk is merged into the previous.
import { checkSource, resolveChunkOptions, type Chunk, type ChunkOptions, type ResolvedChunkOptions } from './options.js';
import { splitSentences, type Span } from './sentences.js';

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
  const tokensOf = (start: number, end: number) => counter.count(source.slice(start, end));
  const units = sentenceUnits(source, from, to, chunkSize, tokensOf);
  const chunks: Span[] = [];
  let a = 0;
  while (a < units.length) {
    let b = a + 1; // every unit fits on its own
    while (b < units.length && tokensOf(units[a].start, units[b].end) <= chunkSize) b++;
    chunks.push({ start: units[a].start, end: units[b - 1].end });
    if (b === units.length) break;
    // Carry trailing whole sentences of this chunk, as long as they fit the
    // overlap budget and still leave room for the next sentence; never all of
    // the chunk, so every step makes progress.
    let next = b;
    for (let j = b - 1; j > a && overlap > 0; j--) {
      if (tokensOf(units[j].start, units[b - 1].end) > overlap) break;
      if (tokensOf(units[j].start, units[b].end) > chunkSize) break;
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

/** Sentences of source[from, to), with sentences over chunkSize split at word boundaries. */
function sentenceUnits(
  source: string,
  from: number,
  to: number,
  chunkSize: number,
  tokensOf: (s: number, e: number) => number,
): Span[] {
  const region = from === 0 && to === source.length ? source : source.slice(from, to);
  const units: Span[] = [];
  for (const s of splitSentences(region)) {
    const span = { start: s.start + from, end: s.end + from };
    if (tokensOf(span.start, span.end) <= chunkSize) units.push(span);
    else splitAtWords(source, span, chunkSize, tokensOf, units);
  }
  return units;
}

function splitAtWords(
  source: string,
  sentence: Span,
  chunkSize: number,
  tokensOf: (s: number, e: number) => number,
  out: Span[],
): void {
  const words: Span[] = [];
  const re = /\S+/gu;
  re.lastIndex = sentence.start;
  for (let m = re.exec(source); m !== null && m.index < sentence.end; m = re.exec(source)) {
    const w = { start: m.index, end: Math.min(m.index + m[0].length, sentence.end) };
    if (tokensOf(w.start, w.end) <= chunkSize) words.push(w);
    else splitWord(source, w, chunkSize, tokensOf, words);
  }
  let i = 0;
  while (i < words.length) {
    let j = i + 1;
    while (j < words.length && tokensOf(words[i].start, words[j].end) <= chunkSize) j++;
    out.push({ start: words[i].start, end: words[j - 1].end });
    i = j;
  }
}

/** A single word longer than chunkSize: cut into the longest pieces that fit, never inside a surrogate pair. */
function splitWord(
  source: string,
  word: Span,
  chunkSize: number,
  tokensOf: (s: number, e: number) => number,
  out: Span[],
): void {
  let start = word.start;
  while (start < word.end) {
    let lo = start + 1;
    let hi = word.end;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (tokensOf(start, mid) <= chunkSize) lo = mid;
      else hi = mid - 1;
    }
    let end = lo;
    if (end < word.end && isLowSurrogate(source.charCodeAt(end)) && end - 1 > start) end--;
    out.push({ start, end });
    start = end;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
