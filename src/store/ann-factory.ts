// How the store creates and loads its approximate index: an HnswIndex whose
// labels are the store's slots.
import { HnswIndex } from '../indexes/hnsw-index.js';
import type { Metric } from '../indexes/input.js';
import { StoreFormatError } from './persistence/errors.js';
import type { AnnFactory, AnnIndex, ResolvedIndexOptions } from './vector-index.js';

export const annFactory: AnnFactory = {
  create(dim: number, metric: Metric, o: ResolvedIndexOptions): AnnIndex {
    return new HnswIndex({ dim, metric, M: o.M, efConstruction: o.efConstruction, efSearch: o.efSearch, quantization: o.quantization });
  },
  async load(path: string, dim: number, metric: Metric, o: ResolvedIndexOptions): Promise<AnnIndex> {
    const index = await HnswIndex.load(path);
    if (index.dim !== dim || index.metric !== metric)
      throw new StoreFormatError(`${path}: HNSW index has dim ${index.dim} / ${index.metric}, the store ${dim} / ${metric}`);
    // The graph file carries its own quantization; one that disagrees with the manifest was not written for this store.
    if (index.quantization !== o.quantization)
      throw new StoreFormatError(`${path}: HNSW index has quantization '${index.quantization}', the store '${o.quantization}'`);
    return index;
  },
};
