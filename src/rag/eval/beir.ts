// Loader for BEIR-format datasets: corpus.jsonl ({_id, title, text}),
// queries.jsonl ({_id, text}) and qrels/<split>.tsv (query-id, corpus-id, score).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirDataset {
  corpus: BeirDocument[];
  /** Queries that have judgments in the split, in file order. */
  queries: { id: string; text: string }[];
  /** query id -> (doc id -> graded relevance > 0). */
  qrels: Map<string, Map<string, number>>;
}

async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  const rows: Record<string, unknown>[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line));
    } catch (e) {
      throw new Error(`${path}:${lineNo}: invalid JSON (${(e as Error).message})`);
    }
  }
  return rows;
}

/** Loads a BEIR folder; `split` picks qrels/<split>.tsv (default 'test'). */
export async function loadBeir(folder: string, split = 'test'): Promise<BeirDataset> {
  for (const f of ['corpus.jsonl', 'queries.jsonl', join('qrels', `${split}.tsv`)]) {
    if (!existsSync(join(folder, f))) throw new Error(`loadBeir: ${join(folder, f)} not found (is ${folder} a BEIR dataset folder?)`);
  }
  const qrels = new Map<string, Map<string, number>>();
  const tsv = await readFile(join(folder, 'qrels', `${split}.tsv`), 'utf8');
  for (const line of tsv.split('\n')) {
    const [q, d, s] = line.trim().split('\t');
    if (!q || !d || s === undefined || q === 'query-id') continue;
    const score = Number(s);
    if (!(score > 0)) continue;
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q)!.set(d, score);
  }
  const corpus = (await readJsonl(join(folder, 'corpus.jsonl'))).map((r) => ({
    id: String(r._id),
    title: typeof r.title === 'string' ? r.title : '',
    text: typeof r.text === 'string' ? r.text : '',
  }));
  const queries = (await readJsonl(join(folder, 'queries.jsonl')))
    .map((r) => ({ id: String(r._id), text: String(r.text ?? '') }))
    .filter((q) => qrels.has(q.id));
  return { corpus, queries, qrels };
}
