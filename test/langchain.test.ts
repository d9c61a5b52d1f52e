// quiverdb/langchain: the cases of LangChain's standard vector-store suite,
// MMR, retrievers, save/load, and @langchain/core/indexing's index().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Document } from '@langchain/core/documents';
import { FakeEmbeddings, SyntheticEmbeddings } from '@langchain/core/utils/testing';
import { index, type RecordManagerInterface, type UpdateOptions, type ListKeyOptions } from '@langchain/core/indexing';
import { QuiverVectorStore } from '../src/langchain/index.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const embeddings = () => new SyntheticEmbeddings({ vectorSize: 16 });
const doc = (pageContent: string, metadata: Record<string, unknown> = {}, id?: string) => new Document({ pageContent, metadata, id });

describe('QuiverVectorStore (LangChain standard vector-store cases)', () => {
  it('an empty store returns no results', async () => {
    const vs = new QuiverVectorStore(embeddings());
    expect(await vs.similaritySearch('foo', 2)).toEqual([]);
    expect(await vs.maxMarginalRelevanceSearch('foo', { k: 2 })).toEqual([]);
  });

  it('adds documents and finds them, with ids on the results', async () => {
    const vs = new QuiverVectorStore(embeddings());
    const ids = await vs.addDocuments([doc('foo', { id: 1 }), doc('bar', { id: 2 })]);
    expect(ids).toHaveLength(2);
    const [top] = await vs.similaritySearch('bar', 1);
    expect(top.pageContent).toBe('bar');
    expect(top.metadata).toEqual({ id: 2 });
    expect(top.id).toBe(ids[1]);
  });

  it('deletes documents, several at once, and ignores missing ids', async () => {
    const vs = new QuiverVectorStore(embeddings());
    const ids = await vs.addDocuments([doc('foo'), doc('bar'), doc('baz')]);
    await vs.delete({ ids: [ids[0]] });
    expect((await vs.similaritySearch('foo', 3)).map((d) => d.pageContent).sort()).toEqual(['bar', 'baz']);
    await vs.delete({ ids: [ids[1], ids[2]] });
    expect(await vs.similaritySearch('foo', 3)).toEqual([]);
    await expect(vs.delete({ ids: ['does-not-exist'] })).resolves.toBeUndefined();
  });

  it('adding with the same ids is idempotent, and re-adding an id upserts', async () => {
    const vs = new QuiverVectorStore(embeddings());
    await vs.addDocuments([doc('foo'), doc('bar')], { ids: ['1', '2'] });
    await vs.addDocuments([doc('foo'), doc('bar')], { ids: ['1', '2'] });
    expect(vs.store!.size).toBe(2);
    await vs.addDocuments([doc('new foo', { v: 2 })], { ids: ['1'] });
    const all = await vs.similaritySearch('new foo', 5);
    expect(all).toHaveLength(2);
    expect(all.find((d) => d.id === '1')).toMatchObject({ pageContent: 'new foo', metadata: { v: 2 } });
    // Document.id is honoured when options.ids is absent.
    await vs.addDocuments([doc('from doc id', {}, '2')]);
    expect(vs.store!.size).toBe(2);
    expect((await vs.similaritySearch('from doc id', 1))[0]).toMatchObject({ id: '2', pageContent: 'from doc id' });
  });

  it('does not mutate input documents', async () => {
    const vs = new QuiverVectorStore(embeddings());
    const input = doc('foo', { a: 1 });
    const snapshot = JSON.parse(JSON.stringify(input));
    await vs.addDocuments([input]);
    expect(JSON.parse(JSON.stringify(input))).toEqual(snapshot);
    expect(input.id).toBeUndefined();
  });

  it('filters with the quiverdb filter language', async () => {
    const vs = await QuiverVectorStore.fromTexts(['a1', 'a2', 'b1'], [{ g: 'a', n: 1 }, { g: 'a', n: 2 }, { g: 'b', n: 1 }], embeddings());
    const hits = await vs.similaritySearchWithScore('a1', 5, { g: 'a', n: { $gte: 2 } });
    expect(hits.map(([d]) => d.pageContent)).toEqual(['a2']);
    expect(typeof hits[0][1]).toBe('number');
    await vs.delete({ filter: { g: 'a' } });
    expect((await vs.similaritySearch('a1', 5)).map((d) => d.pageContent)).toEqual(['b1']);
  });

  it('ranks by similarity (higher score first)', async () => {
    const vs = await QuiverVectorStore.fromDocuments([doc('hello world'), doc('hello world!'), doc('zzzz qqqq')], embeddings());
    const scored = await vs.similaritySearchWithScore('hello world', 3);
    expect(scored[0][0].pageContent).toBe('hello world');
    expect(scored[0][1]).toBeCloseTo(1, 5);
    for (let i = 1; i < scored.length; i++) expect(scored[i][1]).toBeLessThanOrEqual(scored[i - 1][1]);
  });

  it('maxMarginalRelevanceSearch and asRetriever work (similarity and mmr)', async () => {
    const vs = await QuiverVectorStore.fromTexts(['foo', 'foo', 'bar', 'baz'], {}, embeddings());
    const mmr = await vs.maxMarginalRelevanceSearch('foo', { k: 2, fetchK: 4, lambda: 0.1 });
    expect(mmr).toHaveLength(2);
    expect(mmr.map((d) => d.pageContent).filter((t) => t === 'foo')).toHaveLength(1);
    const retriever = vs.asRetriever(1);
    expect((await retriever.invoke('bar'))[0].pageContent).toBe('bar');
    const mmrRetriever = vs.asRetriever({ k: 2, searchType: 'mmr', searchKwargs: { fetchK: 4, lambda: 0.1 } });
    expect(await mmrRetriever.invoke('foo')).toHaveLength(2);
    const fake = await QuiverVectorStore.fromTexts(['x', 'y'], {}, new FakeEmbeddings());
    expect(await fake.similaritySearch('x', 2)).toHaveLength(2);
  });

  it('saves to a directory and loads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lc-'));
    dirs.push(dir);
    const vs = await QuiverVectorStore.fromTexts(['alpha', 'beta'], [{ k: 1 }, { k: 2 }], embeddings());
    await vs.save(join(dir, 'saved'));
    const loaded = await QuiverVectorStore.load(join(dir, 'saved'), embeddings());
    const [top] = await loaded.similaritySearch('beta', 1);
    expect(top).toMatchObject({ pageContent: 'beta', metadata: { k: 2 } });
    await loaded.close();
  });

  it("works with @langchain/core/indexing's index()", async () => {
    const vs = new QuiverVectorStore(embeddings());
    const recordManager = new MemoryRecordManager();
    const docs = [doc('one', { source: 's1' }), doc('two', { source: 's1' }), doc('three', { source: 's2' })];
    const first = await index({ docsSource: docs, recordManager, vectorStore: vs, options: { cleanup: 'full', sourceIdKey: 'source' } });
    expect(first).toMatchObject({ numAdded: 3, numDeleted: 0 });
    const again = await index({ docsSource: docs, recordManager, vectorStore: vs, options: { cleanup: 'full', sourceIdKey: 'source' } });
    expect(again).toMatchObject({ numAdded: 0, numSkipped: 3 });
    const changed = await index({ docsSource: [docs[0], doc('TWO', { source: 's1' })], recordManager, vectorStore: vs, options: { cleanup: 'full', sourceIdKey: 'source' } });
    expect(changed).toMatchObject({ numAdded: 1, numDeleted: 2 });
    expect(vs.store!.size).toBe(2);
  });
});

/** The smallest RecordManagerInterface: keys with update times and group ids, in memory. */
class MemoryRecordManager implements RecordManagerInterface {
  private records = new Map<string, { updatedAt: number; groupId: string | null }>();
  private clock = 0;
  async createSchema() {}
  async getTime() {
    return ++this.clock;
  }
  async update(keys: string[], options: UpdateOptions = {}) {
    const t = await this.getTime();
    keys.forEach((k, i) => this.records.set(k, { updatedAt: Math.max(t, options.timeAtLeast ?? 0), groupId: options.groupIds?.[i] ?? null }));
  }
  async exists(keys: string[]) {
    return keys.map((k) => this.records.has(k));
  }
  async listKeys(o: ListKeyOptions = {}) {
    return [...this.records]
      .filter(([, r]) => (o.before === undefined || r.updatedAt < o.before) && (o.after === undefined || r.updatedAt > o.after))
      .filter(([, r]) => o.groupIds === undefined || o.groupIds.includes(r.groupId))
      .map(([k]) => k)
      .slice(0, o.limit ?? Infinity);
  }
  async deleteKeys(keys: string[]) {
    keys.forEach((k) => this.records.delete(k));
  }
}
