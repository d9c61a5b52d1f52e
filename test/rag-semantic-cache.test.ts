// SemanticCache: similar prompts hit, per model, until they expire.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SemanticCache } from '../src/rag/semantic-cache.js';
import { HashingEmbedder } from '../src/rag/embedders/hashing.js';
import { VectorStore } from '../src/store/vector-store.js';

const embedder = new HashingEmbedder({ dim: 512 });
afterEach(() => vi.useRealTimers());

describe('SemanticCache', () => {
  it('returns the response for a near-identical prompt of the same model only', async () => {
    const cache = new SemanticCache({ embedder, threshold: 0.9 });
    await cache.set('What is the capital of France?', 'Paris', { model: 'gpt-a' });
    expect(await cache.get('what is the capital of France', { model: 'gpt-a' })).toBe('Paris');
    expect(await cache.get('What is the capital of France?', { model: 'gpt-b' })).toBeUndefined();
    expect(await cache.get('How do I bake sourdough bread?', { model: 'gpt-a' })).toBeUndefined();
    const hit = await cache.lookup('What is the capital of France?', { model: 'gpt-a' });
    expect(hit).toMatchObject({ response: 'Paris', prompt: 'What is the capital of France?' });
    expect(hit!.similarity).toBeGreaterThanOrEqual(0.9);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, size: 1 });
  });

  it('respects the threshold', async () => {
    const strict = new SemanticCache({ embedder, threshold: 0.999 });
    await strict.set('capital of France please', { answer: 'Paris' });
    expect(await strict.get('capital of France')).toBeUndefined();
    expect(await strict.get('capital of France please')).toEqual({ answer: 'Paris' });
  });

  it('expires entries after ttlMs and prunes them', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const cache = new SemanticCache({ embedder, ttlMs: 1000 });
    await cache.set('hello there', 'hi');
    await cache.set('long lived', 'yes', { ttlMs: 10_000 });
    expect(await cache.get('hello there')).toBe('hi');
    vi.setSystemTime(1_000_000 + 1500);
    expect(await cache.get('hello there')).toBeUndefined();
    expect(await cache.get('long lived')).toBe('yes');
    expect(await cache.prune()).toBe(1);
    expect(cache.stats().size).toBe(1);
  });

  it('validates its options', () => {
    expect(() => new SemanticCache({ embedder, threshold: 2 })).toThrow(/threshold/);
    expect(() => new SemanticCache({ embedder, store: new VectorStore({ dim: 512, metric: 'euclidean' }) })).toThrow(/cosine/);
    expect(() => new SemanticCache({ embedder, store: new VectorStore({ dim: 8 }) })).toThrow(/store.dim/);
  });
});
