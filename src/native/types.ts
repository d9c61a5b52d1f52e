// The shape of the compiled addon (native/binding/*). Internal: users see the
// wrappers in src/indexes, which validate and normalise input first.

export interface NativeSearchResult {
  labels: Float64Array;
  distances: Float32Array;
  /** Columns per query: min(requested k, index size). */
  k: number;
}

export interface NativeFlatIndex {
  add(labels: Float64Array, vectors: Float32Array): void;
  remove(labels: Float64Array): number;
  has(label: number): boolean;
  get(label: number): Float32Array | undefined;
  size(): number;
  /** Every live label. */
  labels(): Float64Array;
  /** `allow`: optional allow-list of labels (only these can be returned). */
  search(queries: Float32Array, nq: number, k: number, threads?: number, allow?: Float64Array): NativeSearchResult;
  /** Writes into caller-allocated arrays (cheaper than native allocation); returns columns per query. */
  search(
    queries: Float32Array, nq: number, k: number, threads: number | undefined, allow: Float64Array | undefined,
    outLabels: Float64Array, outDistances: Float32Array,
  ): number;
  searchAsync(queries: Float32Array, nq: number, k: number, threads?: number, allow?: Float64Array): Promise<NativeSearchResult>;
}

export interface NativeAddon {
  simdLevel(): string;
  simdWarning(): string;
  simdLevels(): string[];
  threadCount(): number;
  kernelDistance(level: string, op: 'l2sq' | 'dot', a: Float32Array, b: Float32Array): number;
  kernelBlockDots(level: string, queries: Float32Array, nq: number, vectors: Float32Array, dim: number): Float32Array;
  /** Seconds for reps x n kernel calls on in-cache data (bench/ only). */
  benchKernel(level: string, op: 'l2sq' | 'dot', dim: number, n: number, reps: number): number;
  /** Best single-thread read bandwidth in bytes/s over a buffer of `bytes` (bench/ only). */
  benchReadBandwidth(bytes: number, reps: number): number;
  NativeFlatIndex: new (dim: number, metric: string) => NativeFlatIndex;
}
