// `quiver eval` as a module: BEIR loading, the three modes, output and errors,
// on a tiny dataset written here (so the test needs no ../shared).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../src/rag/eval/cli.js';
import { runBeirEval } from '../src/rag/eval/run.js';

const dir = mkdtempSync(join(tmpdir(), 'beir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const topics = ['volcano lava eruption', 'penguin antarctic colony', 'violin orchestra concerto', 'glacier ice melting', 'bitcoin blockchain ledger'];
mkdirSync(join(dir, 'qrels'));
writeFileSync(
  join(dir, 'corpus.jsonl'),
  topics.map((t, i) => JSON.stringify({ _id: `d${i}`, title: t.split(' ')[0], text: `A document about ${t}. It discusses ${t} at length.` })).join('\n'),
);
writeFileSync(join(dir, 'queries.jsonl'), topics.map((t, i) => JSON.stringify({ _id: `q${i}`, text: t.split(' ').slice(1).join(' ') })).join('\n') + '\n{"_id":"unjudged","text":"x"}\n');
writeFileSync(join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\n' + topics.map((_, i) => `q${i}\td${i}\t1`).join('\n'));

describe('quiver eval', () => {
  it('scores perfect retrieval as 1 in every mode', async () => {
    for (const mode of ['keyword', 'vector', 'hybrid'] as const) {
      const r = await runBeirEval({ dataset: dir, mode });
      expect(r).toMatchObject({ mode, queries: 5, documents: 5, ndcg10: 1, recall100: 1, mrr10: 1 });
    }
  });

  it('probes an embedder that learns its dimension before sizing the store', async () => {
    const { HashingEmbedder } = await import('../src/rag/embedders/hashing.js');
    const inner = new HashingEmbedder({ dim: 384 });
    let learned: number | undefined;
    let probes = 0;
    // Like OpenAICompatibleEmbedder without dimensions: no dim until a response.
    const embedder = {
      id: 'learning',
      get dim(): number {
        if (learned === undefined) throw new Error('not known yet');
        return learned;
      },
      get dimension() {
        return learned;
      },
      async probe() {
        probes++;
        await this.embed(['probe']);
        return learned as number;
      },
      async embed(texts: string[]) {
        const out = await inner.embed(texts);
        learned = 384;
        return out;
      },
    };
    const r = await runBeirEval({ dataset: dir, mode: 'vector', embedder });
    expect(probes).toBe(1);
    expect(r).toMatchObject({ ndcg10: 1 });
  });

  it('prints a table with nDCG@10, Recall@100 and MRR@10 (or JSON)', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await evalCommand(['--dataset', dir, '--mode', 'all'], (s) => out.push(s), (s) => err.push(s))).toBe(0);
    expect(out.join('\n')).toMatch(/nDCG@10\s+Recall@100\s+MRR@10/);
    expect(out.join('\n').split('\n').filter((l) => /^(keyword|vector|hybrid)\s+1\.0000/.test(l))).toHaveLength(3);
    const json: string[] = [];
    expect(await evalCommand(['--dataset', dir, '--mode', 'keyword', '--json'], (s) => json.push(s))).toBe(0);
    expect(JSON.parse(json[0])[0]).toMatchObject({ mode: 'keyword', ndcg10: 1 });
    const weighted: string[] = [];
    expect(await evalCommand(['--dataset', dir, '--vector-weight', '0.3', '--json'], (s) => weighted.push(s))).toBe(0);
    expect(JSON.parse(weighted[0])[0]).toMatchObject({ mode: 'hybrid', ndcg10: 1 });
  });

  it('reports usage errors with exit code 2 and missing data with 1', async () => {
    const err: string[] = [];
    expect(await evalCommand([], () => undefined, (s) => err.push(s))).toBe(2);
    expect(err[0]).toMatch(/--dataset is required/);
    expect(await evalCommand(['--dataset', dir, '--mode', 'fuzzy'], () => undefined, (s) => err.push(s))).toBe(2);
    expect(await evalCommand(['--dataset', dir, '--vector-weight', '2'], () => undefined, (s) => err.push(s))).toBe(2);
    expect(err.at(-1)).toMatch(/--vector-weight/);
    expect(await evalCommand(['--dataset', join(dir, 'nope')], () => undefined, (s) => err.push(s))).toBe(1);
    expect(err.at(-1)).toMatch(/corpus.jsonl not found/);
  });
});
