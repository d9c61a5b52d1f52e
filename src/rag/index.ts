// The RAG layer's public surface.
export { chunkText, chunkMarkdown, markdownSections, splitSentences, type Chunk, type ChunkOptions, type MarkdownSection } from './chunking/index.js';
export { estimateTokens, type TokenCounter } from './tokens.js';
export {
  HashingEmbedder,
  OpenAICompatibleEmbedder,
  EmbeddingRequestError,
  TransformersEmbedder,
  CachedEmbedder,
  type Embedder,
  type HashingEmbedderOptions,
  type OpenAICompatibleEmbedderOptions,
  type TransformersEmbedderOptions,
  type EmbeddingCacheOptions,
  type EmbeddingCacheStats,
} from './embedders/index.js';
export { BM25Index, type BM25Options, type BM25SearchOptions, type KeywordHit, type PreparedDocuments } from './keyword/bm25.js';
export { createTokenizer, ENGLISH_STOP_WORDS, type TokenizerOptions, type Tokenize } from './keyword/tokenize.js';
export { fuse, reciprocalRankFusion, weightedFusion, type FusionSpec, type RrfFusionOptions, type WeightedFusionOptions, type ScoredId } from './fusion.js';
export { maximalMarginalRelevance, cosineSimilarity, type MmrCandidate } from './mmr.js';
export { buildContext, reorderForContext, type BuildContextOptions, type Citation, type ContextHit } from './context.js';
export { loadBeir, type BeirDataset, type BeirDocument } from './eval/beir.js';
export { ndcgAt, recallAt, mrrAt, evaluateRankings, type EvalScores } from './eval/metrics.js';
export {
  Retriever,
  type RetrieverOptions,
  type RetrieverStore,
  type RetrieverDocument,
  type RetrieveOptions,
  type RetrieveMmrOptions,
  type RetrieverChunking,
  type RetrieverEmbeddingCacheOptions,
  type RetrievedHit,
  type RerankCandidate,
} from './retriever.js';
export { SemanticCache, type SemanticCacheOptions, type SemanticCacheHit, type SemanticCacheLookupOptions, type SemanticCacheSetOptions } from './semantic-cache.js';
export { runBeirEval, type BeirEvalOptions, type BeirEvalResult } from './eval/run.js';
export { evalCommand } from './eval/cli.js';
