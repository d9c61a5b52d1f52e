// `await using store = await VectorStore.open(dir)` (issue 12): the store is
// closed, its directory lock released, when the block exits, also when the block
// throws. The `await using` below is lowered by vitest's esbuild transform (Node 20
// has no native syntax for it but has Symbol.asyncDispose); a TypeScript user's
// build lowers it the same way, checked with the TypeScript compiler at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import ts from 'typescript';
import { StoreLockedError, VectorStore } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'quiver-dispose-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `s${dirs++}`);

/** True when `dir` can be opened now (its lock is free); closes what it opened. */
async function lockIsFree(dir: string): Promise<boolean> {
  try {
    const s = await VectorStore.open(dir);
    await s.close();
    return true;
  } catch (err) {
    if (err instanceof StoreLockedError) return false;
    throw err;
  }
}

describe('VectorStore[Symbol.asyncDispose]', () => {
  it("is Node's Symbol.asyncDispose (Symbol.for('nodejs.asyncDispose') on Node 20)", () => {
    expect(typeof Symbol.asyncDispose).toBe('symbol');
    expect(Symbol.asyncDispose).toBe(Symbol.for('nodejs.asyncDispose'));
    expect(typeof VectorStore.prototype[Symbol.asyncDispose]).toBe('function');
  });

  it('`await using` closes the store at block exit: the lock is released and the writes are durable', async () => {
    const dir = freshDir();
    {
      await using store = await VectorStore.open(dir, { dim: 3 });
      await store.upsert([{ id: 'a', vector: [1, 0, 0] }]);
      expect(await lockIsFree(dir)).toBe(false); // still open inside the block
      await expect(VectorStore.open(dir)).rejects.toThrow(/locked by this process/);
    }
    expect(await lockIsFree(dir)).toBe(true);
    const again = await VectorStore.open(dir);
    expect(again.size).toBe(1);
    expect((await again.get(['a']))[0]?.vector).toEqual(new Float32Array([1, 0, 0]));
    await again.close();
  });

  it('`await using` closes the store when the block throws, and the error is the block\'s', async () => {
    const dir = freshDir();
    let inside: VectorStore | undefined;
    const run = async () => {
      await using store = await VectorStore.open(dir, { dim: 3 });
      inside = store;
      await store.upsert([{ id: 'b', vector: [0, 1, 0] }]);
      throw new Error('boom');
    };
    await expect(run()).rejects.toThrow('boom');
    expect(await lockIsFree(dir)).toBe(true);
    await expect(inside!.query([1, 0, 0])).rejects.toThrow(/closed/);
    const again = await VectorStore.open(dir);
    expect(again.size).toBe(1);
    await again.close();
  });

  it('`await using` closes the store when a store call in the block rejects (an unknown option)', async () => {
    const dir = freshDir();
    const run = async () => {
      await using store = await VectorStore.open(dir, { dim: 3 });
      await store.query([1, 0, 0], { k: 1 } as never);
    };
    await expect(run()).rejects.toThrow(TypeError);
    expect(await lockIsFree(dir)).toBe(true);
  });

  it('is idempotent, and fine after close() and on an in-memory store', async () => {
    const dir = freshDir();
    const store = await VectorStore.open(dir, { dim: 3 });
    await store.upsert([{ id: 'c', vector: [0, 0, 1] }]);
    await store[Symbol.asyncDispose]();
    await store[Symbol.asyncDispose]();
    await store.close();
    expect(await lockIsFree(dir)).toBe(true);
    const closed = await VectorStore.open(dir);
    await closed.close();
    await closed[Symbol.asyncDispose]();

    const mem = new VectorStore({ dim: 2 });
    await mem.upsert([{ id: 'm', vector: [1, 1] }]);
    await mem[Symbol.asyncDispose]();
    await expect(mem.query([1, 1])).rejects.toThrow(/closed/);
    {
      await using m2 = new VectorStore({ dim: 2 });
      await m2.upsert([{ id: 'm', vector: [1, 1] }]);
    }
  });

  it('waits for writes in flight before closing (a write started in the block is durable)', async () => {
    const dir = freshDir();
    {
      await using store = await VectorStore.open(dir, { dim: 3 });
      void store.upsert([{ id: 'late', vector: [1, 1, 0] }]); // not awaited
    }
    const again = await VectorStore.open(dir);
    expect(again.size).toBe(1);
    await again.close();
  });

  it('TypeScript lowers `await using` for a Node 20 target, and the lowered code closes the store', async () => {
    const dir = freshDir();
    const source = `
      export async function run(VectorStore, dir) {
        await using store = await VectorStore.open(dir, { dim: 3 });
        await store.upsert([{ id: 'ts', vector: [1, 2, 3] }]);
        return store;
      }`;
    const out = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'] },
    }).outputText;
    expect(out).not.toMatch(/await using/);
    expect(out).toMatch(/Symbol\.asyncDispose/);
    const mod = (await import(`data:text/javascript,${encodeURIComponent(out)}`)) as { run(v: typeof VectorStore, d: string): Promise<VectorStore> };
    const store = await mod.run(VectorStore, dir);
    await expect(store.query([1, 2, 3])).rejects.toThrow(/closed/);
    expect(await lockIsFree(dir)).toBe(true);
  });
});
