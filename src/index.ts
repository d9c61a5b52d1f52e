// Public entry point of the quiverdb package.
import { native } from './native/load.js';

export { FlatIndex, type FlatIndexOptions, type FlatSearchOptions } from './indexes/flat-index.js';
export { HnswIndex, type HnswIndexOptions, type HnswSearchOptions, type HnswAddOptions, type HnswQuantization } from './indexes/hnsw-index.js';
export { MappedVectors, type MappedVectorsOptions, type MappedSearchOptions } from './indexes/mapped-vectors.js';
export type { LabelFilter } from './indexes/filter.js';
export { AllowList } from './indexes/allow-list.js';
export type { SearchResult, BatchSearchResult, BatchOptions } from './indexes/results.js';
export type { Metric, VectorLike, VectorsLike, LabelsLike } from './indexes/input.js';
export { VectorStore } from './store/vector-store.js';
export { StoreLockedError } from './store/persistence/lock.js';
export { StoreFormatError, StoreCorruptError, ReadOnlyStoreError } from './store/persistence/errors.js';
export type {
  VectorStoreOptions, OpenOptions, IndexOptions, UpsertRecord, UpsertColumns, UpsertInput, UpsertOptions, QueryOptions, QueryHit,
  StoredRecord, ListedRecord, ListOptions, Metadata, JsonValue, Filter, WaitOptions,
} from './store/types.js';
export type { FieldOperators } from './store/filter/types.js';
export type { VectorStoreApi, VectorStoreExtras } from './store/api.js';
export * from './rag/index.js';
export { doctorCommand, repairCommand } from './cli/store-commands.js';

export type SimdLevelName = 'scalar' | 'neon' | 'avx2' | 'avx512';

/** The SIMD level the distance kernels run at (detected at load, lowered by QUIVER_SIMD). */
export function simdLevel(): SimdLevelName {
  return native().simdLevel() as SimdLevelName;
}

/** Every SIMD level this CPU can run, lowest first. */
export function availableSimdLevels(): SimdLevelName[] {
  return native().simdLevels() as SimdLevelName[];
}

/** Threads the native pool uses by default (all cores). */
export function defaultThreads(): number {
  return native().threadCount();
}
