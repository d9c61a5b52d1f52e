// Local-model embeddings through @huggingface/transformers (an optional peer
// dependency, imported only when used). Loads a model from a local folder
// (ONNX weights + tokenizer files, e.g. a Xenova/* or onnx-community/* export);
// never downloads.
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { assertKnownKeys, optionKeys } from '../../util/options.js';
import { checkTexts, type Embedder } from './types.js';

export interface TransformersEmbedderOptions {
  /** Folder holding the model (config.json, tokenizer.json, onnx/model*.onnx). */
  modelPath: string;
  /** Token pooling (default 'mean'; 'cls' for BGE-style models). */
  pooling?: 'mean' | 'cls' | 'none';
  /** L2-normalise the vectors (default true). */
  normalize?: boolean;
  /** ONNX weights variant, e.g. 'fp32' (default), 'q8'. */
  dtype?: string;
  /** Texts per forward pass (default 32). */
  batchSize?: number;
}
export const TRANSFORMERS_EMBEDDER_OPTION_KEYS = optionKeys<TransformersEmbedderOptions>()('modelPath', 'pooling', 'normalize', 'dtype', 'batchSize');

type FeatureExtractor = (texts: string[], o: { pooling: string; normalize: boolean }) => Promise<{ dims: number[]; data: Float32Array }>;

/** Imports @huggingface/transformers or explains how to install it. */
export async function importTransformers(): Promise<{
  pipeline: (task: string, model: string, options?: Record<string, unknown>) => Promise<FeatureExtractor>;
  env: Record<string, unknown>;
}> {
  const name = '@huggingface/transformers';
  try {
    return (await import(/* @vite-ignore */ name)) as never;
  } catch (e) {
    throw new Error(
      `TransformersEmbedder needs the optional peer dependency ${name}: npm install ${name} ` +
        `(set ONNXRUNTIME_NODE_INSTALL=skip if its ONNX runtime download is blocked). Cause: ${(e as Error).message}`,
    );
  }
}

export class TransformersEmbedder implements Embedder {
  private constructor(
    readonly id: string,
    readonly dim: number,
    private readonly extract: FeatureExtractor,
    private readonly pooling: string,
    private readonly normalize: boolean,
    private readonly batchSize: number,
  ) {}

  /** Loads the model and probes its output dimension. */
  static async load(options: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
    assertKnownKeys(options, TRANSFORMERS_EMBEDDER_OPTION_KEYS, 'TransformersEmbedder.load options');
    if (options === null || typeof options !== 'object' || typeof options.modelPath !== 'string') {
      throw new TypeError('options.modelPath: expected the path of a local model folder');
    }
    const path = resolve(options.modelPath);
    if (!existsSync(path)) throw new Error(`modelPath: ${path} does not exist`);
    const pooling = options.pooling ?? 'mean';
    const normalize = options.normalize ?? true;
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize: expected a positive integer, got ${batchSize}`);
    const { pipeline, env } = await importTransformers();
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(path) + '/';
    const extract = await pipeline('feature-extraction', basename(path), { dtype: options.dtype ?? 'fp32' });
    const probe = await extract(['dimension probe'], { pooling, normalize });
    const dim = probe.dims[probe.dims.length - 1];
    const id = `transformers:${basename(path)}:${options.dtype ?? 'fp32'}:${pooling}:${normalize}`;
    return new TransformersEmbedder(id, dim, extract, pooling, normalize, batchSize);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    checkTexts(texts);
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = texts.slice(i, i + this.batchSize);
      const t = await this.extract(batch, { pooling: this.pooling, normalize: this.normalize });
      for (let r = 0; r < batch.length; r++) out.push(Float32Array.from(t.data.subarray(r * this.dim, (r + 1) * this.dim)));
    }
    return out;
  }
}
