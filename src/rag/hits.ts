// What retrieve() returns: hits made from stored chunk records (toHit), and their expansion
// to the enclosing section or the whole document (parent-document retrieval), with the text
// rebuilt exactly from the stored chunks and the gaps between them.
import type { VectorStoreApi } from '../store/api.js';
import { chunkId, F, userMetadata } from './chunk-records.js';

type Meta = Record<string, unknown>;
/** Reads stored chunk records by id (the store's get). */
type ChunkReader = Pick<VectorStoreApi, 'get'>;

export interface RetrievedHit {
  /** Chunk id `${docId}#${chunkIndex}`; for expanded hits the document id or `${docId}@start-end`. */
  id: string;
  docId: string;
  chunkIndex: number;
  text: string;
  /**
   * The ranking score: in vector mode the vector similarity, in keyword mode
   * BM25, in hybrid mode the fused score (RRF by default), after `rerank` the
   * reranker's score.
   */
  score: number;
  /**
   * Vector similarity of the chunk to the query (what minScore compares): in
   * vector and hybrid mode always, in keyword mode when minScore or
   * queryVector is given.
   */
  similarity?: number;
  /** The document's metadata (plus `headers` for markdown). */
  metadata: Meta;
  start: number;
  end: number;
  /** Expanded hits: the matched chunks inside. */
  chunks?: number[];
}

/** A ranked candidate on its way to a hit: its score, and what is known of it so far. */
export interface Candidate {
  id: string;
  score: number;
  similarity?: number;
  meta?: Meta;
  vector?: Float32Array;
}

export function toHit(c: Candidate): RetrievedHit {
  const m = c.meta as Meta;
  const hit: RetrievedHit = {
    id: c.id,
    docId: m[F.docId] as string,
    chunkIndex: m[F.chunk] as number,
    text: m[F.text] as string,
    score: c.score,
    ...(c.similarity !== undefined ? { similarity: c.similarity } : {}),
    metadata: userMetadata(m),
    start: m[F.start] as number,
    end: m[F.end] as number,
  };
  // Carried (non-enumerable) for expansion only.
  Object.defineProperty(hit, '_section', { value: m[F.section], enumerable: false });
  Object.defineProperty(hit, '_chunks', { value: m[F.chunks], enumerable: false });
  return hit;
}

/** Parent-document retrieval: replace chunks by their section or document, deduplicated, best first. */
export async function expandHits(store: ChunkReader, hits: RetrievedHit[], level: 'section' | 'document'): Promise<RetrievedHit[]> {
  const groups = new Map<string, { hit: RetrievedHit; span?: [number, number]; chunks: number[] }>();
  const sectionOf = new Map<string, [number, number]>();
  for (const h of hits) {
    const span = level === 'section' ? (h as RetrievedHit & { _section?: [number, number] })._section : undefined;
    const key = level === 'document' ? h.docId : `${h.docId}@${span?.[0]}-${span?.[1]}`;
    const g = groups.get(key);
    if (g) g.chunks.push(h.chunkIndex);
    else {
      groups.set(key, { hit: h, span, chunks: [h.chunkIndex] });
      if (span) sectionOf.set(key, span);
    }
  }
  const docTexts = new Map<string, { text: string; start: number }>();
  for (const { hit } of groups.values()) {
    if (!docTexts.has(hit.docId)) docTexts.set(hit.docId, await rebuildDocument(store, hit.docId, (hit as RetrievedHit & { _chunks?: number })._chunks ?? 1));
  }
  const out: RetrievedHit[] = [];
  for (const [key, g] of groups) {
    const doc = docTexts.get(g.hit.docId)!;
    const [s, e] = g.span ?? [doc.start, doc.start + doc.text.length];
    const from = Math.max(s, doc.start);
    const to = Math.min(e, doc.start + doc.text.length);
    out.push({
      id: level === 'document' ? g.hit.docId : key,
      docId: g.hit.docId,
      chunkIndex: g.hit.chunkIndex,
      text: doc.text.slice(from - doc.start, to - doc.start),
      score: g.hit.score,
      ...(g.hit.similarity !== undefined ? { similarity: g.hit.similarity } : {}),
      metadata: g.hit.metadata,
      start: from,
      end: to,
      chunks: g.chunks.sort((a, b) => a - b),
    });
  }
  return out;
}

/** The document's text from its first to its last chunk, rebuilt exactly from the stored chunks and gaps. */
async function rebuildDocument(store: ChunkReader, docId: string, chunkCount: number): Promise<{ text: string; start: number }> {
  const ids = Array.from({ length: chunkCount }, (_, i) => chunkId(docId, i));
  const records = (await store.get(ids)).filter((r) => r !== undefined).map((r) => r!.metadata);
  records.sort((a, b) => (a[F.chunk] as number) - (b[F.chunk] as number));
  if (records.length === 0) return { text: '', start: 0 };
  const start = records[0][F.start] as number;
  let pos = start;
  let text = '';
  for (const m of records) {
    const cs = m[F.start] as number;
    const ce = m[F.end] as number;
    const ct = m[F.text] as string;
    if (cs > pos) {
      text += typeof m[F.gap] === 'string' ? (m[F.gap] as string) : ' '.repeat(cs - pos);
      pos = cs;
    }
    if (ce > pos) {
      text += ct.slice(pos - cs);
      pos = ce;
    }
  }
  return { text, start };
}
