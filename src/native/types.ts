// The shape of the compiled addon (native/binding/*). Internal: users see the
// wrappers in src/indexes, which validate and normalise input first.

/** A prepared allow-list (see AllowList in src/indexes/allow-list.ts). */
export interface NativeAllowList {
  count(): number;
}

/** The filter argument of native searches: labels, or a prepared allow-list. */
export type NativeAllow = Float64Array | NativeAllowList;

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
  search(queries: Float32Array, nq: number, k: number, threads?: number, allow?: NativeAllow): NativeSearchResult;
  /** Writes into caller-allocated arrays (cheaper than native allocation); returns columns per query. */
  search(
    queries: Float32Array, nq: number, k: number, threads: number | undefined, allow: NativeAllow | undefined,
    outLabels: Float64Array, outDistances: Float32Array,
  ): number;
  searchAsync(queries: Float32Array, nq: number, k: number, threads?: number, allow?: NativeAllow): Promise<NativeSearchResult>;
  /** Storage for n vectors at once (never shrinks). */
  reserve(n: number): void;
  /** Allocated vector slots. */
  capacity(): number;
  memoryBytes(): number;
  /** Copies the vectors of `labels` row-major into `out` (labels.length * dim floats); returns `out`. */
  getVectors(labels: Float64Array, out: Float32Array): Float32Array;
}

export interface NativeHnswParams {
  dim: number;
  metric: string;
  M: number;
  efConstruction: number;
  efSearch: number;
  seed: number;
  quantization: 'none' | 'int8' | 'rabitq';
}

export interface NativeHnswIndex {
  add(labels: Float64Array, vectors: Float32Array, threads?: number): void;
  addAsync(labels: Float64Array, vectors: Float32Array, threads?: number): Promise<void>;
  remove(labels: Float64Array): number;
  has(label: number): boolean;
  get(label: number): Float32Array | undefined;
  size(): number;
  capacity(): number;
  /** Removed vectors still holding slots. */
  deleted(): number;
  memoryBytes(): number;
  params(): NativeHnswParams;
  labels(): Float64Array;
  compact(threads?: number): number;
  compactAsync(threads?: number): Promise<number>;
  /** One query, results written into the given arrays (up to k); returns the count. */
  searchInto(query: Float32Array, k: number, ef: number, outLabels: Float64Array, outDistances: Float32Array, allow?: NativeAllow): number;
  search(queries: Float32Array, nq: number, k: number, threads?: number, allow?: NativeAllow, ef?: number): NativeSearchResult;
  searchAsync(queries: Float32Array, nq: number, k: number, threads?: number, allow?: NativeAllow, ef?: number): Promise<NativeSearchResult>;
  save(path: string): void;
  saveAsync(path: string): Promise<void>;
  /** Capacity for n vectors at once (never shrinks). */
  reserve(n: number): void;
  /** Copies the vectors of `labels` row-major into `out` (labels.length * dim floats); returns `out`. */
  getVectors(labels: Float64Array, out: Float32Array): Float32Array;
}

export interface NativeHnswIndexClass {
  new (
    dim: number, metric: string, M: number, efConstruction: number, efSearch: number, seed: number,
    quantization?: 'none' | 'int8' | 'rabitq',
  ): NativeHnswIndex;
  load(path: string): NativeHnswIndex;
  loadAsync(path: string): Promise<NativeHnswIndex>;
}

export interface NativeAddon {
  simdLevel(): string;
  simdWarning(): string;
  simdLevels(): string[];
  threadCount(): number;
  kernelDistance(level: string, op: 'l2sq' | 'dot' | 'cosine', a: Float32Array, b: Float32Array): number;
  kernelBlockDots(level: string, queries: Float32Array, nq: number, vectors: Float32Array, dim: number): Float32Array;
  /** The int8 batch kernel at a level: one key per id (row of xs, dim = q.length). */
  kernelCodes(level: string, op: 'l2sq_i8' | 'neg_dot_i8', q: Int8Array, xs: Int8Array, ids: Uint32Array): Float32Array;
  /** Seconds for reps x n kernel calls on in-cache data (bench/ only). */
  benchKernel(level: string, op: 'l2sq' | 'dot', dim: number, n: number, reps: number): number;
  /** Best single-thread read bandwidth in bytes/s over a buffer of `bytes` (bench/ only). */
  benchReadBandwidth(bytes: number, reps: number): number;
  /** Exclusive flock on an open fd without waiting: false when another open file holds it. */
  lockFile(fd: number): boolean;
  unlockFile(fd: number): void;
  NativeFlatIndex: new (dim: number, metric: string) => NativeFlatIndex;
  NativeAllowList: new (labels: Float64Array | Uint32Array, form?: 'bits') => NativeAllowList;
  NativeHnswIndex: NativeHnswIndexClass;
}
