// Chunking: exact offsets, coverage of every non-whitespace character, sizes,
// overlap as whole sentences, merging of a small tail, markdown header paths.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkMarkdown, chunkText, splitSentences, type Chunk } from '../src/rag/chunking/index.js';

function expectExact(source: string, chunks: Chunk[]) {
  chunks.forEach((c, i) => {
    expect(c.index).toBe(i);
    expect(source.slice(c.start, c.end)).toBe(c.text);
  });
}

function expectCovered(source: string, chunks: Chunk[]) {
  const covered = new Uint8Array(source.length);
  for (const c of chunks) covered.fill(1, c.start, c.end);
  for (let i = 0; i < source.length; i++) {
    if (!/\s/.test(source[i]) && !covered[i]) throw new Error(`character ${i} (${JSON.stringify(source[i])}) is in no chunk`);
  }
}

const sentence = (i: number) => `Sentence number ${i} talks about topic ${i % 7} in some detail.`;
const prose = (n: number) => Array.from({ length: n }, (_, i) => sentence(i)).join(' ');

describe('splitSentences', () => {
  const sentencesOf = (t: string) => splitSentences(t).map((s) => t.slice(s.start, s.end));
  it('keeps abbreviations and decimals inside sentences', () => {
    expect(sentencesOf('Dr. Smith moved to the U.S. in 2020. He paid 3.50 dollars, e.g. for tea. Done!')).toEqual([
      'Dr. Smith moved to the U.S. in 2020.',
      'He paid 3.50 dollars, e.g. for tea.',
      'Done!',
    ]);
  });
  it('splits Cyrillic and CJK text', () => {
    expect(sentencesOf('Москва — столица России. Т.е. город. Это правда?')).toEqual([
      'Москва — столица России.',
      'Т.е. город.',
      'Это правда?',
    ]);
    expect(sentencesOf('你好。世界！')).toEqual(['你好。', '世界！']);
  });
});

describe('chunkText', () => {
  it('returns a short document as one chunk, and nothing for blank input', () => {
    const chunks = chunkText('A tiny document here');
    expect(chunks).toEqual([{ text: 'A tiny document here', index: 0, start: 0, end: 20, tokens: 5, metadata: {} }]);
    expect(chunkText('')).toEqual([]);
    expect(chunkText('  \n\t ')).toEqual([]);
  });

  it('packs sentences up to chunkSize with whole-sentence overlap and exact offsets', () => {
    const text = prose(120);
    const chunks = chunkText(text, { chunkSize: 100, overlap: 20, minChunkSize: 10 });
    expect(chunks.length).toBeGreaterThan(5);
    expectExact(text, chunks);
    expectCovered(text, chunks);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(100);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1];
      const cur = chunks[i];
      expect(cur.start).toBeGreaterThan(prev.start);
      // The overlap is whole trailing sentences of the previous chunk, within budget.
      expect(cur.start).toBeLessThan(prev.end);
      const carried = text.slice(cur.start, prev.end);
      expect(carried.startsWith('Sentence number')).toBe(true);
      expect(carried.endsWith('.')).toBe(true);
      expect(Math.ceil(carried.length / 4)).toBeLessThanOrEqual(20);
    }
  });

  it('without overlap, chunks do not overlap', () => {
    const text = prose(60);
    const chunks = chunkText(text, { chunkSize: 64, overlap: 0 });
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).toBeGreaterThan(chunks[i - 1].end);
    expectCovered(text, chunks);
  });

  it('rebalances a final piece below minChunkSize with the previous chunk, within chunkSize', () => {
    const text = prose(22) + ' Tail.';
    const plain = chunkText(text, { chunkSize: 100, overlap: 0, minChunkSize: 0 });
    const balanced = chunkText(text, { chunkSize: 100, overlap: 0, minChunkSize: 30 });
    expect(plain[plain.length - 1].tokens).toBeLessThan(30);
    // Merging the tail into a full previous chunk would overrun chunkSize:
    // the previous chunk gives up trailing sentences instead.
    expect(balanced.length).toBe(plain.length);
    expect(balanced[balanced.length - 1].tokens).toBeGreaterThanOrEqual(30);
    expect(balanced[balanced.length - 1].end).toBe(text.length);
    for (const c of balanced) expect(c.tokens).toBeLessThanOrEqual(100);
    expectExact(text, balanced);
    expectCovered(text, balanced);
  });

  it('splits a sentence longer than chunkSize at word boundaries (and a giant word by characters)', () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkText(words, { chunkSize: 50, overlap: 0 });
    expectExact(words, chunks);
    expectCovered(words, chunks);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(50);
      expect(/^\S/.test(c.text) && /\S$/.test(c.text)).toBe(true);
      expect(words[c.end] === undefined || words[c.end] === ' ').toBe(true); // never cut inside a word
    }
    const giant = 'x'.repeat(1000);
    const pieces = chunkText(giant, { chunkSize: 64, overlap: 0, minChunkSize: 0 });
    expect(pieces.map((c) => c.text).join('')).toBe(giant);
    for (const c of pieces) expect(c.tokens).toBeLessThanOrEqual(64);
  });

  it('uses a pluggable token counter', () => {
    const wordsCounter = { count: (t: string) => (t.trim() === '' ? 0 : t.trim().split(/\s+/).length) };
    const text = prose(30);
    const chunks = chunkText(text, { chunkSize: 40, overlap: 0, tokenCounter: wordsCounter });
    for (const c of chunks) {
      expect(c.tokens).toBe(wordsCounter.count(c.text));
      expect(c.tokens).toBeLessThanOrEqual(40);
    }
  });

  it('accepts an exact tokenizer (js-tiktoken, when installed)', async () => {
    let tiktoken: { getEncoding(name: string): { encode(t: string): number[] } };
    try {
      tiktoken = (await import('js-tiktoken' as string)) as typeof tiktoken;
    } catch {
      console.warn('skipped: js-tiktoken is not installed');
      return;
    }
    const enc = tiktoken.getEncoding('cl100k_base');
    const counter = { count: (t: string) => enc.encode(t).length };
    const text = prose(80);
    const chunks = chunkText(text, { chunkSize: 120, overlap: 20, tokenCounter: counter });
    expectExact(text, chunks);
    expectCovered(text, chunks);
    for (const c of chunks) {
      expect(c.tokens).toBe(enc.encode(c.text).length);
      expect(c.tokens).toBeLessThanOrEqual(120);
    }
  });

  it('copies metadata into each chunk', () => {
    const chunks = chunkText(prose(50), { chunkSize: 100, metadata: { source: 'a.txt' } });
    for (const c of chunks) expect(c.metadata).toEqual({ source: 'a.txt' });
    chunks[0].metadata.source = 'changed';
    expect(chunks[1].metadata.source).toBe('a.txt');
  });

  it('rejects bad sizes with clear errors', () => {
    expect(() => chunkText('x', { chunkSize: 100, overlap: 100 })).toThrow(/overlap: must be smaller than chunkSize \(100\), got 100/);
    expect(() => chunkText('x', { chunkSize: 0 })).toThrow(RangeError);
    expect(() => chunkText('x', { chunkSize: -5 })).toThrow(/chunkSize/);
    expect(() => chunkText('x', { chunkSize: 1.5 })).toThrow(TypeError);
    expect(() => chunkText('x', { overlap: -1 })).toThrow(/overlap/);
    expect(() => chunkText('x', { chunkSize: 10, minChunkSize: 11 })).toThrow(/minChunkSize/);
    expect(() => chunkText(42 as unknown as string)).toThrow(/text: expected a string/);
  });

  it('covers every non-whitespace character of arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', ' ', '.', '!', '\n', 'Dr', '3', 'é', '你', '。', '😀', 'e.g.'), maxLength: 400 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 39 }),
        (text, chunkSize, overlapRaw) => {
          const overlap = overlapRaw % chunkSize;
          const chunks = chunkText(text, { chunkSize, overlap, minChunkSize: Math.min(5, chunkSize) });
          expectExact(text, chunks);
          expectCovered(text, chunks);
        },
      ),
      { numRuns: 300 },
    );
  });

  const ruwiki = resolve(__dirname, '../../shared/datasets/textemb_ruwiki_minilm384/all_texts.jsonl');
  it.skipIf(!existsSync(ruwiki))('chunks real Russian Wikipedia texts (skipped: ../shared/datasets absent)', () => {
    const texts = readFileSync(ruwiki, 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(0, 300)
      .map((l) => JSON.parse(l).text as string);
    const all = texts.join('\n\n');
    const chunks = chunkText(all, { chunkSize: 128, overlap: 16 });
    expectExact(all, chunks);
    expectCovered(all, chunks);
    const split = chunks.filter((c) => c.tokens <= 128).length;
    expect(split / chunks.length).toBeGreaterThan(0.99);
    // Cyrillic sentences end at sentence punctuation, not mid-word.
    const endsAtPunct = chunks.filter((c) => /[.!?»)]$/.test(c.text)).length;
    expect(endsAtPunct / chunks.length).toBeGreaterThan(0.7);
  });
});

describe('chunkMarkdown', () => {
  const md = [
    'Intro paragraph before any header.',
    '',
    '# Install',
    '',
    'Use npm to install it. It takes a minute.',
    '',
    '## From source',
    '',
    'Clone the repository. Run the build.',
    '',
    '```sh',
    '# this is a shell comment, not a header',
    'npm run build',
    '```',
    '',
    '# Usage ##',
    'Call the API.',
  ].join('\n');

  it('splits by headers and records the header path', () => {
    const chunks = chunkMarkdown(md, { metadata: { file: 'README.md' } });
    expectExact(md, chunks);
    expectCovered(md, chunks);
    expect(chunks.map((c) => c.metadata.headers)).toEqual([[], ['Install'], ['Install', 'From source'], ['Usage']]);
    expect(chunks[2].text).toContain('# this is a shell comment');
    for (const c of chunks) expect(c.metadata.file).toBe('README.md');
    const section = chunks[2].metadata.section as { start: number; end: number };
    expect(md.slice(section.start, section.end).startsWith('## From source')).toBe(true);
  });

  it('chunks long sections without crossing headers', () => {
    const long = `# A\n\n${prose(80)}\n\n# B\n\n${prose(80)}`;
    const chunks = chunkMarkdown(long, { chunkSize: 100, overlap: 10 });
    expectExact(long, chunks);
    expectCovered(long, chunks);
    const b = long.indexOf('# B');
    for (const c of chunks) expect(c.start < b && c.end > b).toBe(false);
    expect(new Set(chunks.map((c) => String(c.metadata.headers)))).toEqual(new Set(['A', 'B']));
  });
});
