// Fusion, MMR and context packing: pure functions the Retriever composes.
import { describe, expect, it } from 'vitest';
import { fuse, reciprocalRankFusion, weightedFusion } from '../src/rag/fusion.js';
import { maximalMarginalRelevance } from '../src/rag/mmr.js';
import { buildContext, reorderForContext } from '../src/rag/context.js';

const list = (...ids: string[]) => ids.map((id, i) => ({ id, score: 10 - i }));

describe('reciprocalRankFusion', () => {
  it('sums 1 / (60 + rank) over lists and puts agreement first', () => {
    const fused = reciprocalRankFusion({ vector: list('a', 'b', 'c'), keyword: list('b', 'd') });
    expect(fused[0]).toEqual({ id: 'b', score: 1 / 62 + 1 / 61 });
    expect(fused.map((h) => h.id)).toEqual(['b', 'a', 'd', 'c']);
    expect(fused.find((h) => h.id === 'd')!.score).toBeCloseTo(1 / 62, 15);
  });
  it('counts a duplicated id once per list, at its best rank', () => {
    const fused = reciprocalRankFusion({ vector: list('a', 'a', 'b') });
    expect(fused).toEqual([
      { id: 'a', score: 1 / 61 },
      { id: 'b', score: 1 / 63 },
    ]);
  });
});

describe('weightedFusion', () => {
  it('min-max normalises each list and weights it', () => {
    const fused = weightedFusion(
      { vector: [{ id: 'a', score: 0.9 }, { id: 'b', score: 0.5 }, { id: 'c', score: 0.1 }], keyword: [{ id: 'c', score: 12 }, { id: 'b', score: 2 }] },
      { vector: 0.6, keyword: 0.4 },
    );
    const score = Object.fromEntries(fused.map((h) => [h.id, h.score]));
    expect(score.a).toBeCloseTo(0.6, 12);
    expect(score.b).toBeCloseTo(0.3, 12);
    expect(score.c).toBeCloseTo(0.4, 12);
  });
  it('does not rank a document missing from a list below that list\'s worst hit', () => {
    // x is missing from keyword; y is keyword's worst. Same vector score => same fused score.
    const fused = weightedFusion(
      { vector: [{ id: 'top', score: 1 }, { id: 'x', score: 0.5 }, { id: 'y', score: 0.5 }, { id: 'z', score: 0 }], keyword: [{ id: 'top', score: 9 }, { id: 'y', score: 1 }] },
      { vector: 0.5, keyword: 0.5 },
    );
    const score = Object.fromEntries(fused.map((h) => [h.id, h.score]));
    expect(score.x).toBe(score.y);
  });
  it('rejects bad weights', () => {
    expect(() => fuse({}, { weights: { vector: -1 } })).toThrow(/fusion.weights.vector/);
    expect(() => fuse({}, 'max' as never)).toThrow(/fusion: expected/);
  });
});

describe('maximalMarginalRelevance', () => {
  const candidates = [
    { score: 1.0, vector: [1, 0, 0] },
    { score: 0.99, vector: [0.999, 0.01, 0] }, // near-duplicate of the first
    { score: 0.7, vector: [0, 1, 0] },
    { score: 0.5, vector: [0, 0, 1] },
  ];
  it('keeps relevance order at lambda 1 and skips near-duplicates at lambda 0.5', () => {
    expect(maximalMarginalRelevance(candidates, 3, 1)).toEqual([0, 1, 2]);
    expect(maximalMarginalRelevance(candidates, 3, 0.5)).toEqual([0, 2, 3]);
    expect(maximalMarginalRelevance(candidates, 10, 0.5)).toHaveLength(4);
    expect(maximalMarginalRelevance([], 3)).toEqual([]);
    expect(() => maximalMarginalRelevance(candidates, 2, 1.5)).toThrow(/lambda/);
  });
});

describe('reorderForContext', () => {
  it('puts the best first, the second best last and the weakest in the middle', () => {
    expect(reorderForContext([1, 2, 3, 4, 5])).toEqual([1, 3, 5, 4, 2]);
    expect(reorderForContext([1, 2, 3, 4])).toEqual([1, 3, 4, 2]);
    expect(reorderForContext([1])).toEqual([1]);
    expect(reorderForContext([])).toEqual([]);
  });
});

describe('buildContext', () => {
  const hit = (id: string, chars: number) => ({ id, docId: id.split('#')[0], chunkIndex: 0, start: 0, end: chars, text: 'x'.repeat(chars) });
  it('packs under the budget, skipping (not stopping at) a hit that does not fit', () => {
    const { text, citations, tokens } = buildContext([hit('a#0', 100), hit('big#0', 4000), hit('c#0', 80)], { maxTokens: 60 });
    expect(citations.map((c) => c.id)).toEqual(['a#0', 'c#0']);
    expect(citations.map((c) => c.ref)).toEqual([1, 2]);
    expect(citations[1]).toMatchObject({ docId: 'c', chunkIndex: 0, start: 0, end: 80 });
    expect(text).toBe(`[1] ${'x'.repeat(100)}\n\n[2] ${'x'.repeat(80)}`);
    expect(tokens).toBeLessThanOrEqual(60);
    expect(Math.ceil(text.length / 4)).toBeLessThanOrEqual(60);
  });
  it('returns empty context for no hits or zero budget', () => {
    expect(buildContext([])).toEqual({ text: '', citations: [], tokens: 0 });
    expect(buildContext([hit('a#0', 10)], { maxTokens: 0 }).citations).toEqual([]);
    expect(() => buildContext([hit('a#0', 10)], { maxTokens: -1 })).toThrow(/maxTokens/);
  });
});
