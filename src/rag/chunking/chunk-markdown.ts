// Markdown chunking: split at ATX headers ("#".."######", outside fenced code)
// first, then chunk each section with the sentence-aware chunker. Every chunk
// carries its header path (['Install', 'From source']) and its section's span.
import { chunkSpans } from './chunk-text.js';
import { checkSource, resolveChunkOptions, type Chunk, type ChunkOptions } from './options.js';
import { isSpace } from './sentences.js';

export interface MarkdownSection {
  /** Header path, outermost first ([] before the first header). */
  headers: string[];
  /** Span of the section in the source, trimmed of surrounding whitespace (header line included). */
  start: number;
  end: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

const isBlank = (c: number) => c === 0x20 || c === 0x09; // space or tab

/**
 * An ATX heading line's level and title, or null. Matches exactly what
 * /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/ matched (title: group 2,
 * trimmed), in one pass: that regex's lazy title retried the closing part at
 * every position, which is quadratic on a line with a long run of spaces.
 */
function parseHeading(line: string): { level: number; title: string } | null {
  const n = line.length;
  let p = 0;
  while (p < n && p < 4 && line.charCodeAt(p) === 0x20) p++;
  if (p > 3) return null;
  const hashes = p;
  while (p < n && line.charCodeAt(p) === 0x23) p++;
  const level = p - hashes;
  if (level < 1 || level > 6) return null;
  if (p === n) return { level, title: '' };
  if (!isBlank(line.charCodeAt(p))) return null;
  // "." in the title does not match line terminators, nor does anything else.
  for (let i = p; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029) return null;
  }
  while (p < n && isBlank(line.charCodeAt(p))) p++;
  // The title is the shortest prefix of the rest whose remainder is blanks, or
  // blanks + "#"s + blanks (an optional closing sequence).
  let e = n;
  while (e > p && isBlank(line.charCodeAt(e - 1))) e--;
  let h = e;
  while (h > p && line.charCodeAt(h - 1) === 0x23) h--;
  let w = h;
  while (w > p && isBlank(line.charCodeAt(w - 1))) w--;
  const titleEnd = h < e && w < h ? w : e;
  return { level, title: line.slice(p, titleEnd).trim() };
}

/** The sections of a markdown document, in order. */
export function markdownSections(source: string): MarkdownSection[] {
  const sections: MarkdownSection[] = [];
  const path: { level: number; title: string }[] = [];
  let sectionStart = 0;
  let sectionHeaders: string[] = [];
  let fence: string | null = null;
  const close = (end: number) => {
    let s = sectionStart;
    let e = end;
    while (s < e && isSpace(source.charCodeAt(s))) s++;
    while (e > s && isSpace(source.charCodeAt(e - 1))) e--;
    if (e > s) sections.push({ headers: sectionHeaders, start: s, end: e });
  };
  let lineStart = 0;
  while (lineStart <= source.length) {
    let lineEnd = source.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = source.length;
    const line = source.slice(lineStart, lineEnd).replace(/\r$/, '');
    const fenceMatch = FENCE.exec(line);
    if (fenceMatch) {
      const marker = fenceMatch[1];
      if (fence === null) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = null;
    } else if (fence === null) {
      const h = parseHeading(line);
      if (h) {
        close(lineStart);
        const level = h.level;
        while (path.length > 0 && path[path.length - 1].level >= level) path.pop();
        path.push({ level, title: h.title });
        sectionStart = lineStart;
        sectionHeaders = path.map((p) => p.title);
      }
    }
    if (lineEnd === source.length) break;
    lineStart = lineEnd + 1;
  }
  close(source.length);
  return sections;
}

/**
 * Splits markdown into chunks that never cross a header. Chunk metadata gets
 * `headers` (the header path) and `section` ({ start, end } of the section).
 */
export function chunkMarkdown(markdown: string, options?: ChunkOptions): Chunk[] {
  checkSource(markdown, 'markdown');
  const opts = resolveChunkOptions(options, 'chunkMarkdown options');
  const chunks: Chunk[] = [];
  for (const section of markdownSections(markdown)) {
    for (const s of chunkSpans(markdown, section.start, section.end, opts)) {
      const text = markdown.slice(s.start, s.end);
      chunks.push({
        text,
        index: chunks.length,
        start: s.start,
        end: s.end,
        tokens: opts.counter.count(text),
        metadata: { ...opts.metadata, headers: section.headers, section: { start: section.start, end: section.end } },
      });
    }
  }
  return chunks;
}
