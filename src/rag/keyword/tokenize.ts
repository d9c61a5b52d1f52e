// Unicode-aware tokenisation for keyword search (and the hashing embedder):
// NFKC + lower case, words of letters/marks/digits (keeping inner apostrophes
// and periods: "don't", "u.s.a", "3.5"), possessive "'s" removed, Han and kana
// as one token per character, optional stop words and Porter stemming.
import { stemmer } from 'stemmer';
import { assertKnownKeys, optionKeys } from '../../util/options.js';

export interface TokenizerOptions {
  /**
   * Stop words to drop: true for the built-in English list (default), false
   * for none, or your own list.
   */
  stopWords?: boolean | Iterable<string>;
  /** Porter-stem Latin-script words (default true), or your own stemmer. */
  stem?: boolean | ((word: string) => string);
}
export const TOKENIZER_OPTION_KEYS = optionKeys<TokenizerOptions>()('stopWords', 'stem');

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

// Any character from the CJK blocks (radicals through Katakana, Han, compatibility ideographs).
const MAYBE_IDEOGRAPHIC = /[\u2e80-\u30ff\u3400-\u9fff\uf900-\ufaff]/;

/** Lower-cased words of `text`, before stop words and stemming. */
export function words(text: string): string[] {
  let t = text;
  if (NON_ASCII.test(t)) t = t.normalize('NFKC');
  t = t.toLowerCase();
  const ideographic = MAYBE_IDEOGRAPHIC.test(t); // checked per word only when the text has any
  const matches = t.match(WORD);
  if (matches === null) return [];
  let out: string[] = matches;
  for (let i = 0; i < matches.length; i++) {
    const w = matches[i];
    const n = w.length;
    if (n > 2 && w.charCodeAt(n - 1) === 115 /* s */) {
      const q = w.charCodeAt(n - 2);
      if (q === 39 || q === 0x2019) matches[i] = w.slice(0, -2); // possessive 's
    }
  }
  if (ideographic) {
    out = [];
    for (const w of matches) {
      if (IDEOGRAPHIC.test(w)) splitIdeographs(w, out);
      else out.push(w);
    }
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

const porterMemo = new Map<string, string>();

/** Porter stem of an English word (other words unchanged), memoised. */
function porter(w: string): string {
  let s = porterMemo.get(w);
  if (s === undefined) {
    if (porterMemo.size > 500_000) porterMemo.clear();
    s = LATIN_WORD.test(w) ? stemmer(w) : w;
    porterMemo.set(w, s);
  }
  return s;
}

/** A tokenizer with stop words and stemming applied (stems are memoised). */
export function createTokenizer(options: TokenizerOptions = {}): Tokenize {
  assertKnownKeys(options, TOKENIZER_OPTION_KEYS, 'createTokenizer options');
  const stopOpt = options.stopWords ?? true;
  const stop = new Set<string>(stopOpt === true ? ENGLISH_STOP_WORDS : stopOpt === false ? [] : stopOpt);
  const stemOpt = options.stem ?? true;
  const stemFn = stemOpt === true ? stemmer : stemOpt === false ? null : stemOpt;
  if (stemFn !== null && typeof stemFn !== 'function') {
    throw new TypeError(`stem: expected a boolean or a function (word) => string, got ${typeof stemOpt}`);
  }
  // One lookup per word: its stem, or '' for a stop word. Porter stems are
  // also memoised process-wide, so every index and embedder shares the work.
  const memo = new Map<string, string>();
  const normalise = (w: string): string => {
    let s = memo.get(w);
    if (s === undefined) {
      if (memo.size > 200_000) memo.clear();
      if (stop.has(w)) s = '';
      else if (stemFn === null) s = w;
      else if (stemOpt === true) s = porter(w);
      else s = stemFn(w);
      memo.set(w, s);
    }
    return s;
  };
  const tokenize = (text: string): string[] => {
    const out: string[] = [];
    for (const w of words(text)) {
      const s = normalise(w);
      if (s !== '') out.push(s);
    }
    return out;
  };
  // Built-in configurations share a small cache of recent texts, so the
  // keyword index and the hashing embedder tokenize each ingested chunk once.
  if (typeof stopOpt !== 'boolean' || typeof stemOpt !== 'boolean') return tokenize;
  const recent = recentTokens(`${stopOpt}:${stemOpt}`);
  return (text: string) => {
    if (text.length < 64) return tokenize(text);
    let tokens = recent.get(text);
    if (tokens === undefined) {
      tokens = tokenize(text);
      if (recent.size >= RECENT_TEXTS) recent.delete(recent.keys().next().value as string);
      recent.set(text, tokens);
    }
    return tokens.slice();
  };
}

const RECENT_TEXTS = 2048;
const recentByConfig = new Map<string, Map<string, string[]>>();

function recentTokens(config: string): Map<string, string[]> {
  let m = recentByConfig.get(config);
  if (!m) recentByConfig.set(config, (m = new Map()));
  return m;
}
