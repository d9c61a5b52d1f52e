// How the store creates and loads its approximate (HNSW) index.
// TODO(hnsw): wire src/indexes/hnsw-index.ts in here once it lands; until then
// 'auto' answers every query exactly with the flat index and index.type 'hnsw'
// is refused with a clear error.
import type { AnnFactory } from './vector-index.js';

export const annFactory: AnnFactory | undefined = undefined;
