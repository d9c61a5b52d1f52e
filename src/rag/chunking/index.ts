export { chunkText } from './chunk-text.js';
export { chunkMarkdown, markdownSections, type MarkdownSection } from './chunk-markdown.js';
export { splitSentences, type Span } from './sentences.js';
export type { Chunk, ChunkOptions } from './options.js';
