// TransformersEmbedder against a stand-in for @huggingface/transformers (the
// real package and a model are optional; see embedder.test.ts for the real run):
// local-only loading, dimension probing, batching and the pooling options.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const calls: { model?: string; options?: Record<string, unknown>; texts?: string[]; pooling?: string }[] = [];
const env: Record<string, unknown> = {};
vi.mock('@huggingface/transformers', () => ({
  env,
  pipeline: async (task: string, model: string, options: Record<string, unknown>) => {
    calls.push({ model, options: { task, ...options } });
    return async (texts: string[], o: { pooling: string; normalize: boolean }) => {
      calls.push({ texts, pooling: o.pooling });
      const dim = 3;
      const data = new Float32Array(texts.length * dim);
      texts.forEach((t, i) => data.set([t.length, 1, o.normalize ? 1 : 0], i * dim));
      return { dims: [texts.length, dim], data };
    };
  },
}));

const { TransformersEmbedder } = await import('../src/rag/embedders/transformers.js');
const dir = mkdtempSync(join(tmpdir(), 'model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TransformersEmbedder (with a stand-in transformers module)', () => {
  it('loads from the local folder only and probes the dimension', async () => {
    const e = await TransformersEmbedder.load({ modelPath: join(dir), pooling: 'cls', batchSize: 2 });
    expect(env).toMatchObject({ allowRemoteModels: false, allowLocalModels: true, localModelPath: tmpdir() + '/' });
    expect(calls[0]).toMatchObject({ model: dir.split('/').pop(), options: { task: 'feature-extraction', dtype: 'fp32' } });
    expect(e.dim).toBe(3);
    expect(e.id).toContain('cls');
    calls.length = 0;
    const vs = await e.embed(['a', 'bb', 'ccc']);
    expect(vs.map((v) => [...v])).toEqual([[1, 1, 1], [2, 1, 1], [3, 1, 1]]);
    expect(calls.map((c) => c.texts)).toEqual([['a', 'bb'], ['ccc']]); // batches of 2
    expect(calls.every((c) => c.pooling === 'cls')).toBe(true);
  });
});
