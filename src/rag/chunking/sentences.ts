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

// A terminator run followed by closing quotes/brackets, then whitespace or the
// end; CJK full-width terminators need no following space. A blank line also
// ends a sentence (headings, list items and paragraphs without punctuation).
const BOUNDARY = /([.!?…]+)["'”’»)\]]*(?=\s|$)|[。！？]+["'”’」』)\]]*|\n[ \t]*\n\s*/gu;

const INITIALISM = /^(?:\p{L}\.)*\p{L}$/u;
const LOWER_START = /^\s*[\p{Ll}]/u;

function isAbbreviation(text: string, periodAt: number): boolean {
  let i = periodAt;
  while (i > 0 && !/\s/.test(text[i - 1])) i--;
  const word = text.slice(i, periodAt).replace(/^[("'“‘«\[]+/u, '').toLowerCase();
  if (word.length === 0) return false;
  return ABBREVIATIONS.has(word) || INITIALISM.test(word);
}

/** Sentence spans of `text` (in order, non-overlapping, trimmed). */
export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  let sentenceStart = 0;
  const push = (start: number, end: number) => {
    while (start < end && isSpace(text.charCodeAt(start))) start++;
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    if (end > start) spans.push({ start, end });
  };
  BOUNDARY.lastIndex = 0;
  for (let m = BOUNDARY.exec(text); m !== null; m = BOUNDARY.exec(text)) {
    const end = m.index + m[0].length;
    // A single period may be an abbreviation, or be followed by lower case
    // ("e.g. this", "approx. five"): not a boundary.
    if (m[1] === '.' && (isAbbreviation(text, m.index) || LOWER_START.test(text.slice(end, end + 8)))) continue;
    push(sentenceStart, end);
    sentenceStart = end;
  }
  push(sentenceStart, text.length);
  return spans;
}

/** Whitespace as JS's \s sees it (fast path for ASCII). */
export function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0x85) return false;
  return /\s/.test(String.fromCharCode(code));
}
