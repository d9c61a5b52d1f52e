// Sentence segmentation as [start, end) spans into the source, so chunk
// offsets stay exact. Spans are trimmed of whitespace and together cover every
// non-whitespace character of the input.

export interface Span {
  start: number;
  end: number;
}

// Words that end with a period without ending the sentence (compared lower-case,
// without the trailing period). Initialisms like "U.S." or "e.g." and single
// letters ("J. Smith", "г.") are recognised by shape instead of by listing them.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'cf', 'al', 'fig', 'figs', 'eq', 'eqs',
  'no', 'nos', 'vol', 'vols', 'pp', 'p', 'ch', 'sec', 'ref', 'refs', 'inc', 'ltd', 'co', 'corp', 'dept',
  'est', 'approx', 'ca', 'resp', 'gen', 'gov', 'govt', 'col', 'capt', 'lt', 'sgt', 'rev', 'hon', 'ave',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'ed', 'eds',
  'min', 'max', 'op', 'ibid',
  // Russian
  'др', 'гг', 'им', 'см', 'ул', 'тыс', 'млн', 'млрд', 'руб', 'стр', 'рис', 'проф', 'акад', 'род', 'ок', 'прим', 'напр',
]);

// Boundaries, scanned left to right in one pass (each character is examined a
// bounded number of times, so segmentation is linear in the input):
//  - a run of terminators [.!?…], then closing quotes/brackets ["'”’»)\]], then
//    whitespace or the end. A run not followed by whitespace (after its
//    closers) is no boundary anywhere inside it, and scanning resumes after it.
//    (This was the regex /([.!?…]+)["'”’»)\]]*(?=\s|$)/, which re-scanned the
//    whole run from each of its positions: quadratic on "....x".)
//  - CJK full-width terminators [。！？] and their closers ["'”’」』)\]]: always a
//    boundary, no following space needed.
//  - a blank line: "\n", spaces/tabs, "\n", then all following whitespace
//    (headings, list items and paragraphs without punctuation).
const TAB = 0x09;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const PERIOD = 0x2e;

function isTerminator(c: number): boolean {
  return c === 0x2e || c === 0x21 || c === 0x3f || c === 0x2026; // . ! ? …
}
function isCloser(c: number): boolean {
  // " ' ” ’ » ) ]
  return c === 0x22 || c === 0x27 || c === 0x201d || c === 0x2019 || c === 0xbb || c === 0x29 || c === 0x5d;
}
function isCjkTerminator(c: number): boolean {
  return c === 0x3002 || c === 0xff01 || c === 0xff1f; // 。！？
}
function isCjkCloser(c: number): boolean {
  // " ' ” ’ 」 』 ) ]
  return c === 0x22 || c === 0x27 || c === 0x201d || c === 0x2019 || c === 0x300d || c === 0x300f || c === 0x29 || c === 0x5d;
}
function isOpener(c: number): boolean {
  // ( " ' “ ‘ « [
  return c === 0x28 || c === 0x22 || c === 0x27 || c === 0x201c || c === 0x2018 || c === 0xab || c === 0x5b;
}

const LETTER = /^\p{L}$/u;
const LOWER_START = /^\s*[\p{Ll}]/u;

/** `word` has the shape (letter ".")* letter, like "U.S" or "e.g" (the regex /^(?:\p{L}\.)*\p{L}$/u). */
function isInitialism(word: string): boolean {
  let i = 0;
  for (;;) {
    const cp = word.codePointAt(i);
    if (cp === undefined || !LETTER.test(String.fromCodePoint(cp))) return false;
    i += cp > 0xffff ? 2 : 1;
    if (i >= word.length) return true;
    if (word.charCodeAt(i) !== PERIOD) return false;
    i++;
  }
}

/**
 * Whether the word ending at `periodAt` (back to the previous whitespace,
 * without leading opening quotes/brackets) is an abbreviation or initialism.
 * The words looked back over by successive candidate periods do not overlap
 * (each candidate is followed by whitespace), so the look-backs add up to at
 * most the input length.
 */
function isAbbreviation(text: string, periodAt: number): boolean {
  let i = periodAt;
  while (i > 0 && !isSpace(text.charCodeAt(i - 1))) i--;
  while (i < periodAt && isOpener(text.charCodeAt(i))) i++;
  if (i === periodAt) return false;
  const word = text.slice(i, periodAt).toLowerCase();
  return ABBREVIATIONS.has(word) || isInitialism(word);
}

/** Sentence spans of `text` (in order, non-overlapping, trimmed). Linear time. */
export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  forEachSentence(text, (start, end) => spans.push({ start, end }));
  return spans;
}

/**
 * Calls `emit(start, end)` for each sentence span of `text`, in order (what
 * splitSentences returns, without allocating a span per sentence).
 */
export function forEachSentence(text: string, emit: (start: number, end: number) => void): void {
  const n = text.length;
  let sentenceStart = 0;
  const push = (start: number, end: number) => {
    while (start < end && isSpace(text.charCodeAt(start))) start++;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    if (end > start) emit(start, end);
  };
  let p = 0;
  while (p < n) {
    const c = text.charCodeAt(p);
    if (isTerminator(c)) {
      let q = p + 1;
      while (q < n && isTerminator(text.charCodeAt(q))) q++;
      const runEnd = q;
      while (q < n && isCloser(text.charCodeAt(q))) q++;
      if (q < n && !isSpace(text.charCodeAt(q))) {
        p = q; // no boundary at any position of this run; the next character starts afresh
        continue;
      }
      // A single period may be an abbreviation, or be followed by lower case
      // ("e.g. this", "approx. five"): not a boundary.
      const singlePeriod = runEnd === p + 1 && c === PERIOD;
      if (!(singlePeriod && (isAbbreviation(text, p) || LOWER_START.test(text.slice(q, q + 8))))) {
        push(sentenceStart, q);
        sentenceStart = q;
      }
      p = q;
    } else if (isCjkTerminator(c)) {
      let q = p + 1;
      while (q < n && isCjkTerminator(text.charCodeAt(q))) q++;
      while (q < n && isCjkCloser(text.charCodeAt(q))) q++;
      push(sentenceStart, q);
      sentenceStart = q;
      p = q;
    } else if (c === NEWLINE) {
      let q = p + 1;
      while (q < n && (text.charCodeAt(q) === SPACE || text.charCodeAt(q) === TAB)) q++;
      if (q < n && text.charCodeAt(q) === NEWLINE) {
        q++;
        while (q < n && isSpace(text.charCodeAt(q))) q++;
        push(sentenceStart, q);
        sentenceStart = q;
        p = q;
      } else {
        p = q; // the spaces/tabs skipped cannot start a boundary
      }
    } else {
      p++;
    }
  }
  push(sentenceStart, n);
}

/** Whitespace as JS's \s sees it: ECMAScript WhiteSpace and LineTerminator code units. */
export function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
