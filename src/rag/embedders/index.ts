export { type Embedder, checkEmbedder } from './types.js';
export { HashingEmbedder, type HashingEmbedderOptions } from './hashing.js';
export {
  OpenAICompatibleEmbedder,
  EmbeddingRequestError,
  type OpenAICompatibleEmbedderOptions,
} from './openai-compatible.js';
export { TransformersEmbedder, type TransformersEmbedderOptions } from './transformers.js';
export { CachedEmbedder, type EmbeddingCacheOptions, type EmbeddingCacheStats } from './cache.js';
