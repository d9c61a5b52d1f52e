// Chunks respect their budget (issue 12): no chunk counts more than chunkSize
// tokens, by the counter the chunker was given, unless it is one character (a
// code point) that the counter alone counts over chunkSize; the chunks, with
// their overlaps removed, cover the text in order; an overlap counts at most
// `overlap` tokens. Checked by class: random texts of sentences, words,
// paragraphs, markdown headings, code blocks, long unbroken tokens, CJK and
// emoji, every chunkSize from 1 to 512, every overlap below it, for
// chunkText and chunkMarkdown and for every counter (the default estimate, a
// word counter, a UTF-16 unit counter, and js-tiktoken's cl100k when installed).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkMarkdown, chunkText, markdownSections, type Chunk } from '../src/rag/chunking/index.js';
import { estimateTokens, type TokenCounter } from '../src/rag/tokens.js';

const SEED = Number(process.env.CHUNK_BUDGET_SEED ?? 20261206);

const wordsCounter: TokenCounter = { count: (t) => (t.trim() === '' ? 0 : t.trim().split(/\s+/).length) };
const unitsCounter: TokenCounter = { count: (t) => t.length };

async function loadTiktoken(): Promise<TokenCounter | undefined> {
  try {
    const tiktoken = (await import('js-tiktoken' as string)) as { getEncoding(name: string): { encode(t: string): number[] } };
    const enc = tiktoken.getEncoding('cl100k_base');
    return { count: (t) => enc.encode(t).length };
  } catch {
    return undefined;
  }
}

// ---- text generator -------------------------------------------------------

const vocabulary = ['the', 'index', 'stores', 'vectors', 'and', 'a', 'query', 'returns', 'neighbours', 'quickly', 'e.g.', 'Dr.', 'U.S.', '3.5', 'don’t', 'über', 'naïve', 'data-driven'];
const word = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...vocabulary) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'z', '9', '_', '/'), minLength: 1, maxLength: 30 }) },
);
const sentence = fc
  .tuple(fc.array(word, { minLength: 1, maxLength: 40 }), fc.constantFrom('.', '!', '?', '...', '."', ''))
  .map(([ws, end]) => ws.join(' ') + end);
const paragraph = fc.array(sentence, { minLength: 1, maxLength: 8 }).map((ss) => ss.join(' '));
const heading = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.array(word, { minLength: 0, maxLength: 6 })).map(([level, ws]) => `${'#'.repeat(level)} ${ws.join(' ')}`);
const longToken = fc.oneof(
  fc.integer({ min: 1, max: 3000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 400 }).map((n) => 'https://example.com/' + 'path/'.repeat(n)),
  fc.integer({ min: 1, max: 300 }).map((n) => '😀'.repeat(n)),
  fc.integer({ min: 1, max: 300 }).map((n) => '数据库'.repeat(n) + '。'),
);
const codeBlock = fc.array(fc.constantFrom('const x = 1;', '# not a heading', 'for (;;) {}', '', '    indented();'), { minLength: 0, maxLength: 8 }).map((lines) => ['```ts', ...lines, '```'].join('\n'));
const block = fc.oneof(
  { weight: 6, arbitrary: paragraph },
  { weight: 2, arbitrary: heading },
  { weight: 1, arbitrary: longToken },
  { weight: 1, arbitrary: codeBlock },
  { weight: 1, arbitrary: sentence.map((s) => `- ${s}`) },
);
const document = fc
  .tuple(fc.array(block, { minLength: 0, maxLength: 14 }), fc.constantFrom('\n\n', '\n', ' ', '\n\n\n', '\r\n\r\n'))
  .map(([blocks, sep]) => blocks.join(sep));

/** chunkSize 1..512, small sizes more often; overlap 0..chunkSize-1; minChunkSize default or 0..chunkSize. */
const sizes = fc
  .oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 96 }), fc.integer({ min: 1, max: 512 }))
  .chain((chunkSize) =>
    fc.record({
      chunkSize: fc.constant(chunkSize),
      overlap: fc.integer({ min: 0, max: chunkSize - 1 }),
      minChunkSize: fc.option(fc.integer({ min: 0, max: chunkSize }), { nil: undefined }),
    }),
  );

// ---- the invariants -------------------------------------------------------

const isBlank = (s: string) => /^\s*$/.test(s);

/**
 * Checks one chunking of `text`; `regions` are the spans chunks may not cross
 * (the whole text, or the markdown sections), outside which only whitespace
 * and nothing else may be left out. Returns a description of the first
 * violation, or null.
 */
function violation(text: string, chunks: Chunk[], counter: TokenCounter, o: { chunkSize: number; overlap: number }, regions: { start: number; end: number }[]): string | null {
  let region = 0;
  let covered = 0; // end of the text accounted for so far
  let prev: Chunk | undefined;
  for (const [i, c] of chunks.entries()) {
    if (c.index !== i) return `chunk ${i}: index ${c.index}`;
    if (text.slice(c.start, c.end) !== c.text) return `chunk ${i}: text is not source.slice(start, end)`;
    if (c.tokens !== counter.count(c.text)) return `chunk ${i}: tokens ${c.tokens} but the counter says ${counter.count(c.text)}`;
    // (a) the budget
    if (c.tokens > o.chunkSize && [...c.text].length > 1) return `chunk ${i}: ${c.tokens} tokens > chunkSize ${o.chunkSize} (${JSON.stringify(c.text.slice(0, 60))})`;
    if (c.text !== c.text.trim() || c.text === '') return `chunk ${i}: not trimmed`;
    while (region < regions.length && regions[region].end <= c.start) region++;
    const r = regions[region];
    if (!r || c.start < r.start || c.end > r.end) return `chunk ${i}: crosses a section boundary`;
    if (prev && prev.end > c.start) {
      // (c) the overlap: inside one section, at most `overlap` tokens, and the chunk moves on
      if (prev.start < r.start) return `chunk ${i}: overlaps a chunk of another section`;
      if (c.start <= prev.start || c.end <= prev.end) return `chunk ${i}: makes no progress`;
      const carried = counter.count(text.slice(c.start, prev.end));
      if (carried > o.overlap) return `chunk ${i}: overlap of ${carried} tokens > ${o.overlap}`;
    } else if (!isBlank(text.slice(covered, c.start))) {
      // (b) nothing but whitespace between one chunk's end and the next one's start
      return `chunk ${i}: text lost before it: ${JSON.stringify(text.slice(covered, c.start).slice(0, 60))}`;
    }
    covered = Math.max(covered, c.end);
    prev = c;
  }
  if (!isBlank(text.slice(covered))) return `text lost at the end: ${JSON.stringify(text.slice(covered).slice(0, 60))}`;
  // (b) once more, as a whole: the non-overlapping parts, in order, are the text (up to whitespace)
  let rebuilt = '';
  let end = 0;
  for (const c of chunks) {
    rebuilt += text.slice(Math.max(end, c.start), c.end);
    end = Math.max(end, c.end);
  }
  if (rebuilt.replace(/\s+/g, '') !== text.replace(/\s+/g, '')) return 'the chunks without their overlaps are not the text';
  return null;
}

type Chunker = 'chunkText' | 'chunkMarkdown';

function check(chunker: Chunker, text: string, counter: TokenCounter | undefined, o: { chunkSize: number; overlap: number; minChunkSize?: number }): void {
  const options = { ...o, ...(counter ? { tokenCounter: counter } : {}) };
  if (options.minChunkSize === undefined) delete options.minChunkSize;
  const chunks = chunker === 'chunkText' ? chunkText(text, options) : chunkMarkdown(text, options);
  const regions = chunker === 'chunkText' ? [{ start: 0, end: text.length }] : markdownSections(text);
  const v = violation(text, chunks, counter ?? estimateTokens, o, regions);
  if (v) throw new Error(`${chunker} ${JSON.stringify(o)}: ${v}`);
}

describe('chunk budget (issue 12)', () => {
  it('regression: chunkSize 64, overlap 8 over ordinary sentences stays within 64 tokens', () => {
    // Five sentences of 54 characters: 68 tokens, where the last sentence was
    // merged into the first chunk as a "too small" tail regardless of the budget.
    const text = Array.from({ length: 5 }, (_, i) => `Sentence number ${i} talks about topic ${i % 7} in some detail.`).join(' ');
    for (const chunks of [chunkText(text, { chunkSize: 64, overlap: 8 }), chunkMarkdown(text, { chunkSize: 64, overlap: 8 })]) {
      expect(chunks.length).toBeGreaterThan(1);
      for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(64);
      expect(violation(text, chunks, estimateTokens, { chunkSize: 64, overlap: 8 }, [{ start: 0, end: text.length }])).toBeNull();
    }
  });

  it('regression: a too-small tail is rebalanced with the previous chunk, not merged over the budget', () => {
    const para = 'Retrieval quality depends on chunking. Chunks that are too large dilute the embedding. Chunks that are too small lose context.';
    const text = Array(12).fill(para).join('\n\n') + '\n\nThe end.';
    const chunks = chunkText(text, { chunkSize: 64, overlap: 8 });
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(64);
    expect(chunks[chunks.length - 1].tokens).toBeGreaterThanOrEqual(16); // minChunkSize: 64 / 4
    expect(violation(text, chunks, estimateTokens, { chunkSize: 64, overlap: 8 }, [{ start: 0, end: text.length }])).toBeNull();
  });

  it('a single character over the budget forms a chunk by itself', () => {
    const chunks = chunkText('a😀b', { chunkSize: 1, overlap: 0, minChunkSize: 0, tokenCounter: unitsCounter });
    expect(chunks.map((c) => c.text)).toEqual(['a', '😀', 'b']);
  });

  const counters: [string, TokenCounter | undefined, number][] = [
    ['the default estimate', undefined, 400],
    ['a word counter', wordsCounter, 250],
    ['a UTF-16 unit counter', unitsCounter, 250],
  ];
  for (const chunker of ['chunkText', 'chunkMarkdown'] as const) {
    for (const [name, counter, numRuns] of counters) {
      it(`${chunker}, ${name}: budget, coverage and overlap over random documents (${numRuns} cases)`, () => {
        fc.assert(
          fc.property(document, sizes, (text, o) => check(chunker, text, counter, o)),
          { numRuns, seed: SEED },
        );
      });
    }
    it(`${chunker}, js-tiktoken cl100k (when installed): budget, coverage and overlap (30 cases)`, async () => {
      const tiktoken = await loadTiktoken();
      if (!tiktoken) {
        console.warn('skipped: js-tiktoken is not installed');
        return;
      }
      // Texts of at most 1,500 characters: an exact tokenizer is counted per candidate span.
      fc.assert(
        fc.property(document.filter((t) => t.length <= 1500), sizes, (text, o) => check(chunker, text, tiktoken, o)),
        { numRuns: 30, seed: SEED },
      );
    });
  }
});
