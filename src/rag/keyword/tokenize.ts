// Unicode-aware tokenisation for keyword search (and the hashing embedder):
// NFKC + lower case, words of letters/marks/digits (keeping inner apostrophes
// and periods: "don't", "u.s.a", "3.5"), possessive "'s" removed, Han and kana
// as one token per character, optional stop words and Porter stemming.
import { stemmer } from 'stemmer';

export interface TokenizerOptions {
  /**
   * Stop words to drop: true for the built-in English list (default), false
   * for none, or your own list.
   */
  stopWords?: boolean | Iterable<string>;
  /** Porter-stem Latin-script words (default true), or your own stemmer. */
  stem?: boolean | ((word: string) => string);
}

export type Tokenize = (text: string) => string[];

// The classic English stop list used by Lucene's StandardAnalyzer/EnglishAnalyzer.
export const ENGLISH_STOP_WORDS: readonly string[] = [
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not',
  'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was',
  'will', 'with',
];

const WORD = /[\p{L}\p{M}\p{N}]+(?:['’.][\p{L}\p{M}\p{N}]+)*/gu;
const IDEOGRAPHIC = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30fc\u3005]/u;
const NON_ASCII = /[^\x00-\x7f]/;
const LATIN_WORD = /^[a-z]+$/;

/** Lower-cased words of `text`, before stop words and stemming. */
export function words(text: string): string[] {
  let t = text;
  if (NON_ASCII.test(t)) t = t.normalize('NFKC');
  t = t.toLowerCase();
  const out: string[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(t); m !== null; m = WORD.exec(t)) {
    let w = m[0];
    if (w.endsWith("'s") || w.endsWith('’s')) w = w.slice(0, -2);
    if (w.length === 0) continue;
    if (w.charCodeAt(0) >= 0x2e80 || NON_ASCII.test(w)) {
      if (IDEOGRAPHIC.test(w)) {
        splitIdeographs(w, out);
        continue;
      }
    }
    out.push(w);
  }
  return out;
}

/** Han/kana characters become single tokens; other runs inside stay together. */
function splitIdeographs(word: string, out: string[]): void {
  let run = '';
  for (const ch of word) {
    if (IDEOGRAPHIC.test(ch)) {
      if (run) out.push(run);
      run = '';
      out.push(ch);
    } else run += ch;
  }
  if (run) out.push(run);
}

/** A tokenizer with stop words and stemming applied (stems are memoised). */
export function createTokenizer(options: TokenizerOptions = {}): Tokenize {
  const stopOpt = options.stopWords ?? true;
  const stop = new Set<string>(stopOpt === true ? ENGLISH_STOP_WORDS : stopOpt === false ? [] : stopOpt);
  const stemOpt = options.stem ?? true;
  const stemFn = stemOpt === true ? stemmer : stemOpt === false ? null : stemOpt;
  if (stemFn !== null && typeof stemFn !== 'function') {
    throw new TypeError(`stem: expected a boolean or a function (word) => string, got ${typeof stemOpt}`);
  }
  const memo = new Map<string, string>();
  const stem = (w: string): string => {
    if (stemFn === null) return w;
    if (stemOpt === true && !LATIN_WORD.test(w)) return w; // Porter is for English words only
    let s = memo.get(w);
    if (s === undefined) {
      if (memo.size > 200_000) memo.clear();
      s = stemFn(w);
      memo.set(w, s);
    }
    return s;
  };
  return (text: string) => {
    const out: string[] = [];
    for (const w of words(text)) {
      if (stop.has(w)) continue;
      out.push(stem(w));
    }
    return out;
  };
}
