// How a chunk is stored in the VectorStore: id `${docId}#${index}` and
// reserved metadata keys (prefixed "_") next to the document's own metadata.
import type { Chunk } from './chunking/options.js';

export const F = {
  docId: '_docId',
  chunk: '_chunk',
  chunks: '_chunks',
  text: '_text',
  start: '_start',
  end: '_end',
  section: '_section',
  headers: '_headers',
  /** Whitespace between the previous chunks' end and this chunk's start, so documents rebuild exactly. */
  gap: '_gap',
} as const;

const RESERVED = new Set<string>(Object.values(F));

export function chunkId(docId: string, index: number): string {
  return `${docId}#${index}`;
}

export function isReservedKey(key: string): boolean {
  return RESERVED.has(key);
}

/** Store metadata of a chunk: the document's metadata plus the reserved fields. */
export function chunkMetadata(
  docId: string,
  chunk: Chunk,
  chunkCount: number,
  section: { start: number; end: number },
  docMetadata: Record<string, unknown>,
  gap: string,
): Record<string, unknown> {
  const meta: Record<string, unknown> = { ...docMetadata };
  meta[F.docId] = docId;
  meta[F.chunk] = chunk.index;
  meta[F.chunks] = chunkCount;
  meta[F.text] = chunk.text;
  meta[F.start] = chunk.start;
  meta[F.end] = chunk.end;
  meta[F.section] = [section.start, section.end];
  if (Array.isArray(chunk.metadata.headers)) meta[F.headers] = chunk.metadata.headers;
  if (gap !== '') meta[F.gap] = gap;
  return meta;
}

/** The document's own metadata (reserved keys removed; markdown headers exposed as `headers`). */
export function userMetadata(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(meta)) if (!RESERVED.has(k)) out[k] = meta[k];
  if (meta[F.headers] !== undefined) out.headers = meta[F.headers];
  return out;
}

/** Paragraph spans (blank-line separated) of plain text: the "section" of a plain-text chunk. */
export function paragraphSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  const re = /\n[ \t]*\n\s*/g;
  let start = 0;
  const push = (s: number, e: number) => {
    while (s < e && /\s/.test(text[s])) s++;
    while (e > s && /\s/.test(text[e - 1])) e--;
    if (e > s) spans.push({ start: s, end: e });
  };
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    push(start, m.index);
    start = m.index + m[0].length;
  }
  push(start, text.length);
  return spans;
}

/** The smallest run of spans covering [start, end). */
export function coveringSpan(spans: { start: number; end: number }[], start: number, end: number): { start: number; end: number } {
  let s = start;
  let e = end;
  for (const p of spans) {
    if (p.end > start && p.start < end) {
      s = Math.min(s, p.start);
      e = Math.max(e, p.end);
    }
  }
  return { start: s, end: e };
}
