// Embeddings from any OpenAI-compatible /v1/embeddings endpoint (OpenAI, Azure
// OpenAI-style gateways, vLLM, Ollama, LM Studio, TEI...). Batches the input,
// runs a bounded number of requests at once, retries 429/5xx/network errors and
// timeouts with exponential backoff + jitter (honouring Retry-After), and checks
// what comes back (count, dimension, finite numbers).
import { assertKnownKeys, optionKeys } from '../../util/options.js';
import { checkTexts, type Embedder } from './types.js';

export interface OpenAICompatibleEmbedderOptions {
  /** API root, e.g. 'https://api.openai.com/v1' (the default) or 'http://localhost:11434/v1'. */
  baseURL?: string;
  /** Sent as a Bearer token (default: env OPENAI_API_KEY; omitted when empty). */
  apiKey?: string;
  model: string;
  /**
   * Vector length. Optional: for a model it does not know (and without
   * `dimensions`), the embedder learns the length from its first response,
   * and every later response must match it. Also sent as the `dimensions`
   * request field when `sendDimensions` is true.
   */
  dimensions?: number;
  /** Send `dimensions` in the request (default: true for text-embedding-3-* models only). */
  sendDimensions?: boolean;
  /** Texts per request (default 96). */
  batchSize?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per-request timeout (default 60 000 ms). */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures (default 5). */
  maxRetries?: number;
  /** First backoff delay; doubles per retry, with full jitter (default 500 ms). */
  retryBaseMs?: number;
  /** Longest single wait, including Retry-After (default 30 000 ms). */
  maxRetryDelayMs?: number;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

export const OPENAI_COMPATIBLE_EMBEDDER_OPTION_KEYS = optionKeys<OpenAICompatibleEmbedderOptions>()(
  'baseURL', 'apiKey', 'model', 'dimensions', 'sendDimensions', 'batchSize', 'concurrency',
  'timeoutMs', 'maxRetries', 'retryBaseMs', 'maxRetryDelayMs', 'headers',
);

const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

export class EmbeddingRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'EmbeddingRequestError';
  }
}

export class OpenAICompatibleEmbedder implements Embedder {
  readonly id: string;
  /** The vector length: given, known for the model, or learned from the first response. */
  private learnedDim: number | undefined;
  private probing: Promise<number> | undefined;
  private readonly url: string;
  private readonly o: Required<Omit<OpenAICompatibleEmbedderOptions, 'apiKey' | 'dimensions' | 'baseURL'>> & {
    apiKey: string;
    /** The dimension given or known for the model (undefined: learned). */
    givenDim: number | undefined;
  };

  constructor(options: OpenAICompatibleEmbedderOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('options: expected an object with at least { model }');
    assertKnownKeys(options, OPENAI_COMPATIBLE_EMBEDDER_OPTION_KEYS, 'OpenAICompatibleEmbedder options');
    if (typeof options.model !== 'string' || options.model === '') {
      throw new TypeError(`model: expected a non-empty string, got ${JSON.stringify(options.model)}`);
    }
    const baseURL = options.baseURL ?? 'https://api.openai.com/v1';
    try {
      new URL(baseURL);
    } catch {
      throw new TypeError(`baseURL: expected an absolute URL, got ${JSON.stringify(baseURL)}`);
    }
    const dim = options.dimensions ?? KNOWN_DIMENSIONS[options.model];
    if (dim !== undefined) positiveInt(dim, 'dimensions');
    if (dim === undefined && options.sendDimensions === true) {
      throw new TypeError(`sendDimensions: needs dimensions (model ${JSON.stringify(options.model)} is not one whose length is known)`);
    }
    const o = {
      model: options.model,
      apiKey: options.apiKey ?? process.env.OPENAI_API_KEY ?? '',
      sendDimensions: options.sendDimensions ?? (options.dimensions !== undefined && options.model.startsWith('text-embedding-3')),
      batchSize: positiveInt(options.batchSize ?? 96, 'batchSize'),
      concurrency: positiveInt(options.concurrency ?? 4, 'concurrency'),
      timeoutMs: positiveInt(options.timeoutMs ?? 60_000, 'timeoutMs'),
      maxRetries: nonNegativeInt(options.maxRetries ?? 5, 'maxRetries'),
      retryBaseMs: nonNegativeInt(options.retryBaseMs ?? 500, 'retryBaseMs'),
      maxRetryDelayMs: nonNegativeInt(options.maxRetryDelayMs ?? 30_000, 'maxRetryDelayMs'),
      headers: options.headers ?? {},
      givenDim: dim,
    };
    this.o = o;
    this.learnedDim = dim;
    this.url = baseURL.replace(/\/+$/, '') + '/embeddings';
    // 'auto': the model's own length, learned from its responses.
    this.id = `openai-compatible:${this.url}:${o.model}:${dim ?? 'auto'}`;
  }

  /** The vector length once known (given, known for the model, or learned from the first response), else undefined. */
  get dimension(): number | undefined {
    return this.learnedDim;
  }

  /**
   * The vector length. Throws until it is known: for a model without
   * `dimensions` that the embedder does not know, it is learned from the first
   * response (await probe() or embed() first).
   */
  get dim(): number {
    if (this.learnedDim === undefined) {
      throw new Error(
        `OpenAICompatibleEmbedder: the dimension of model ${JSON.stringify(this.o.model)} is not known yet; ` +
          'it is learned from the first response: await embedder.probe() (or embed()) first, or pass { dimensions }',
      );
    }
    return this.learnedDim;
  }

  /** Resolves to the vector length, embedding one short text to learn it if it is not known yet. */
  probe(): Promise<number> {
    if (this.learnedDim !== undefined) return Promise.resolve(this.learnedDim);
    this.probing ??= this.embed(['dimension probe']).then(
      () => this.dim,
      (e) => {
        this.probing = undefined;
        throw e;
      },
    );
    return this.probing;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    checkTexts(texts);
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += this.o.batchSize) batches.push(texts.slice(i, i + this.o.batchSize));
    const results: Float32Array[][] = new Array(batches.length);
    let next = 0;
    let failed = false;
    // A fixed pool of workers pulls batches, so at most `concurrency` requests run.
    const worker = async () => {
      while (!failed && next < batches.length) {
        const b = next++;
        try {
          results[b] = await this.embedBatch(batches[b]);
        } catch (e) {
          failed = true;
          throw e;
        }
      }
    };
    const workers = Array.from({ length: Math.min(this.o.concurrency, batches.length) }, worker);
    const settled = await Promise.allSettled(workers);
    const rejected = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (rejected) throw rejected.reason;
    return results.flat();
  }

  private async embedBatch(input: string[]): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        return await this.request(input);
      } catch (e) {
        const err = e as EmbeddingRequestError & { retryAfterMs?: number };
        if (!err.retryable || attempt >= this.o.maxRetries) {
          if (err.retryable) err.message += ` (gave up after ${attempt + 1} attempts)`;
          throw err;
        }
        retryAfterMs = err.retryAfterMs;
      }
      const backoff = Math.random() * this.o.retryBaseMs * 2 ** attempt;
      await sleep(Math.min(this.o.maxRetryDelayMs, retryAfterMs ?? backoff));
    }
  }

  private async request(input: string[]): Promise<Float32Array[]> {
    const body: Record<string, unknown> = { model: this.o.model, input, encoding_format: 'float' };
    if (this.o.sendDimensions) body.dimensions = this.learnedDim;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.o.headers };
    if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (e) {
      const err = e as Error;
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      throw new EmbeddingRequestError(
        timedOut
          ? `embedding request to ${this.url} timed out after ${this.o.timeoutMs} ms`
          : `embedding request to ${this.url} failed: ${err.message}${err.cause ? ` (${(err.cause as Error).message ?? err.cause})` : ''}`,
        undefined,
        true,
      );
    }
    if (!res.ok) throw await httpError(res, this.url);
    let json: { data?: { embedding?: unknown; index?: number }[] };
    try {
      json = (await res.json()) as typeof json;
    } catch (e) {
      throw new EmbeddingRequestError(`embedding response from ${this.url} is not JSON: ${(e as Error).message}`, res.status, true);
    }
    return this.parse(json, input.length);
  }

  private parse(json: { data?: { embedding?: unknown; index?: number }[] }, expected: number): Float32Array[] {
    const data = json?.data;
    if (!Array.isArray(data) || data.length !== expected) {
      throw new EmbeddingRequestError(
        `embedding response from ${this.url}: expected data with ${expected} embeddings, got ${Array.isArray(data) ? data.length : typeof data}`,
      );
    }
    const out: Float32Array[] = new Array(expected);
    data.forEach((item, i) => {
      const index = typeof item?.index === 'number' ? item.index : i;
      const e = item?.embedding;
      if (!Array.isArray(e)) {
        throw new EmbeddingRequestError(`embedding response from ${this.url}: data[${i}].embedding is not an array of numbers (base64 is not supported)`);
      }
      if (this.learnedDim === undefined) {
        if (e.length === 0) throw new EmbeddingRequestError(`embedding response from ${this.url}: data[${i}].embedding is empty`);
        this.learnedDim = e.length; // the first response sets the dimension
      } else if (e.length !== this.learnedDim) {
        const given = this.o.givenDim !== undefined;
        throw new EmbeddingRequestError(
          `embedding dimension mismatch from ${this.url} (model ${this.o.model}): expected ${this.learnedDim}` +
            (given ? '' : ' (learned from its first response)') +
            `, got ${e.length}` +
            (given ? `; set dimensions: ${e.length} or use a model that returns ${this.learnedDim}` : '; every response of one embedder must have the same length'),
        );
      }
      const v = Float32Array.from(e as number[]);
      for (let j = 0; j < v.length; j++) {
        if (!Number.isFinite(v[j])) throw new EmbeddingRequestError(`embedding response from ${this.url}: data[${i}].embedding[${j}] is not a finite number`);
      }
      if (index < 0 || index >= expected || out[index] !== undefined) {
        throw new EmbeddingRequestError(`embedding response from ${this.url}: bad or repeated index ${index}`);
      }
      out[index] = v;
    });
    return out;
  }
}

async function httpError(res: Response, url: string): Promise<EmbeddingRequestError & { retryAfterMs?: number }> {
  let detail = '';
  try {
    const text = await res.text();
    try {
      const j = JSON.parse(text);
      detail = j?.error?.message ?? j?.message ?? text;
    } catch {
      detail = text;
    }
  } catch {
    // body unreadable: the status says enough
  }
  detail = String(detail).slice(0, 500);
  const status = res.status;
  if (status === 401 || status === 403) {
    return new EmbeddingRequestError(
      `embedding request to ${url} was rejected (HTTP ${status}): check apiKey / OPENAI_API_KEY${detail ? ` — ${detail}` : ''}`,
      status,
    );
  }
  const retryable = status === 429 || status === 408 || status >= 500;
  const err = new EmbeddingRequestError(`embedding request to ${url} failed with HTTP ${status}${detail ? `: ${detail}` : ''}`, status, retryable) as EmbeddingRequestError & {
    retryAfterMs?: number;
  };
  err.retryAfterMs = parseRetryAfter(res.headers);
  return err;
}

/** Retry-After (seconds or an HTTP date) or retry-after-ms, in milliseconds. */
export function parseRetryAfter(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const v = headers.get('retry-after');
  if (v === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function positiveInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`${name}: expected a positive integer, got ${String(v)}`);
  return v;
}

function nonNegativeInt(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`${name}: expected a non-negative integer, got ${String(v)}`);
  return v;
}
