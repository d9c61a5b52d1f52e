// Embedders: hashing (deterministic, lexical), OpenAI-compatible over real HTTP
// (batching, concurrency, retries, errors), the embedding cache, and the
// optional transformers.js embedder.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CachedEmbedder, HashingEmbedder, OpenAICompatibleEmbedder, TransformersEmbedder, type Embedder } from '../src/rag/embedders/index.js';
import { cosineSimilarity } from '../src/rag/mmr.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('HashingEmbedder', () => {
  const e = new HashingEmbedder({ dim: 256 });
  it('is deterministic, L2-normalised and of the configured dimension', async () => {
    const [a, b] = await e.embed(['The cat sat on the mat.', 'The cat sat on the mat.']);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(256);
    expect([...a]).toEqual([...b]);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    const [again] = await new HashingEmbedder({ dim: 256 }).embed(['The cat sat on the mat.']);
    expect([...again]).toEqual([...a]);
  });
  it('is lexical: shared (stemmed) words make texts close', async () => {
    const [q, near, far] = await e.embed(['resetting a password', 'How to reset your password', 'Quarterly revenue grew']);
    expect(cosineSimilarity(q, near)).toBeGreaterThan(0.5);
    expect(Math.abs(cosineSimilarity(q, far))).toBeLessThan(0.3);
  });
  it('gives a zero vector for text without words, and validates input', async () => {
    const [z] = await e.embed(['!!! ...']);
    expect([...z].every((x) => x === 0)).toBe(true);
    await expect(e.embed(['ok', 3 as unknown as string])).rejects.toThrow(/texts\[1\]/);
    expect(() => new HashingEmbedder({ dim: 0 })).toThrow(/dim/);
    expect(new HashingEmbedder({ dim: 8 }).id).not.toBe(new HashingEmbedder({ dim: 16 }).id);
  });
});

// A small /v1/embeddings server whose behaviour each test scripts.
type Handler = (body: { model: string; input: string[]; dimensions?: number }, req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let baseURL: string;
let handler: Handler;
let inFlight = 0;
let maxInFlight = 0;
const requests: { input: string[]; auth?: string; dimensions?: number }[] = [];

function fakeVector(text: string, dim: number): number[] {
  return Array.from({ length: dim }, (_, i) => ((text.length + i) % 5) / 5);
}
const ok = (dim: number): Handler => (body, _req, res) => {
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json' });
    // Reverse order with explicit indices, as some servers do.
    const data = body.input.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t, dim) })).reverse();
    res.end(JSON.stringify({ object: 'list', data, model: body.model }));
  }, 5);
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      const body = JSON.parse(raw);
      requests.push({ input: body.input, auth: req.headers.authorization, dimensions: body.dimensions });
      if (req.url !== '/v1/embeddings') {
        res.writeHead(404).end('not found');
        return;
      }
      handler(body, req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  requests.length = 0;
  maxInFlight = 0;
});

describe('OpenAICompatibleEmbedder (real HTTP on 127.0.0.1)', () => {
  const make = (o: Partial<ConstructorParameters<typeof OpenAICompatibleEmbedder>[0]> = {}) =>
    new OpenAICompatibleEmbedder({ baseURL, apiKey: 'sk-test', model: 'm', dimensions: 4, retryBaseMs: 5, ...o });

  it('batches, bounds concurrency, keeps order and sends the key', async () => {
    handler = ok(4);
    const texts = Array.from({ length: 23 }, (_, i) => 'x'.repeat(i));
    const vectors = await make({ batchSize: 5, concurrency: 2 }).embed(texts);
    expect(vectors).toHaveLength(23);
    vectors.forEach((v, i) => expect([...v]).toEqual(fakeVector(texts[i], 4).map(Math.fround)));
    expect(requests.map((r) => r.input.length)).toEqual([5, 5, 5, 5, 3]);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(maxInFlight).toBe(2);
    expect(requests[0].auth).toBe('Bearer sk-test');
    expect(await make().embed([])).toEqual([]);
  });

  it('sends dimensions only for text-embedding-3 models', async () => {
    handler = ok(4);
    await make({ model: 'text-embedding-3-small' }).embed(['a']);
    await make().embed(['a']);
    expect(requests.map((r) => r.dimensions)).toEqual([4, undefined]);
  });

  it('retries 429 honouring Retry-After, and 5xx with backoff', async () => {
    let calls = 0;
    const times: number[] = [];
    handler = (body, req, res) => {
      times.push(Date.now());
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end('{"error":{"message":"slow down"}}');
      else if (calls === 2) res.writeHead(503).end('busy');
      else ok(4)(body, req, res);
    };
    const [v] = await make({ maxRetryDelayMs: 2000 }).embed(['hello']);
    expect(v).toHaveLength(4);
    expect(calls).toBe(3);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(900); // waited for Retry-After: 1
  });

  it('gives up after maxRetries with the server message', async () => {
    handler = (_b, _r, res) => res.writeHead(500).end('{"error":{"message":"model crashed"}}');
    await expect(make({ maxRetries: 2 }).embed(['a'])).rejects.toThrow(/HTTP 500: model crashed \(gave up after 3 attempts\)/);
    expect(requests).toHaveLength(3);
  });

  it('fails fast and clearly on auth errors and wrong dimensions', async () => {
    handler = (_b, _r, res) => res.writeHead(401).end('{"error":{"message":"Incorrect API key"}}');
    await expect(make().embed(['a'])).rejects.toThrow(/HTTP 401\): check apiKey.*Incorrect API key/);
    expect(requests).toHaveLength(1);
    handler = ok(3);
    await expect(make().embed(['a'])).rejects.toThrow(/dimension mismatch.*expected 4, got 3/);
  });

  it('times out slow requests and retries them', async () => {
    let calls = 0;
    handler = (body, req, res) => {
      calls++;
      if (calls === 1) setTimeout(() => ok(4)(body, req, res), 500);
      else ok(4)(body, req, res);
    };
    const [v] = await make({ timeoutMs: 100 }).embed(['a']);
    expect(v).toHaveLength(4);
    expect(calls).toBe(2);
    handler = (body, req, res) => setTimeout(() => ok(4)(body, req, res), 500);
    await expect(make({ timeoutMs: 50, maxRetries: 0 }).embed(['a'])).rejects.toThrow(/timed out after 50 ms/);
  });

  it('validates options', () => {
    expect(() => new OpenAICompatibleEmbedder({ model: 'custom-model', sendDimensions: true })).toThrow(/sendDimensions: needs dimensions/);
    expect(() => new OpenAICompatibleEmbedder({ model: 'custom-model', dimensions: 0 })).toThrow(/dimensions/);
    expect(new OpenAICompatibleEmbedder({ model: 'text-embedding-3-small', apiKey: 'x' }).dim).toBe(1536);
    expect(() => make({ batchSize: 0 })).toThrow(/batchSize/);
    expect(() => make({ baseURL: 'not a url' })).toThrow(/baseURL/);
  });
});

describe('OpenAICompatibleEmbedder without dimensions: learns the dimension from the first response', () => {
  const learner = (o: Partial<ConstructorParameters<typeof OpenAICompatibleEmbedder>[0]> = {}) =>
    new OpenAICompatibleEmbedder({ baseURL, apiKey: 'sk-test', model: 'my-local-model', retryBaseMs: 5, maxRetries: 0, ...o });

  it('has no dimension before the first response, then the response\'s', async () => {
    handler = ok(6);
    const e = learner();
    expect(e.dimension).toBeUndefined();
    expect(() => e.dim).toThrow(/not known yet.*probe\(\)/);
    expect(e.id).toMatch(/:my-local-model:auto$/);
    const [v] = await e.embed(['hello']);
    expect(v).toHaveLength(6);
    expect(e.dim).toBe(6);
    expect(e.dimension).toBe(6);
    expect(e.id).toMatch(/:auto$/); // stable: caches keyed on it stay valid
    expect(requests[0].dimensions).toBeUndefined(); // nothing to send
  });

  it('probe() asks once (concurrent probes share the request) and returns the dimension', async () => {
    handler = ok(5);
    const e = learner();
    expect(await Promise.all([e.probe(), e.probe()])).toEqual([5, 5]);
    expect(requests).toHaveLength(1);
    expect(await e.probe()).toBe(5);
    expect(requests).toHaveLength(1);
    expect(await learner({ dimensions: 5 }).probe()).toBe(5);
    expect(requests).toHaveLength(1); // a given dimension needs no request
  });

  it('a later response of another length is a clear error', async () => {
    handler = ok(6);
    const e = learner();
    await e.embed(['a']);
    handler = ok(4);
    await expect(e.embed(['b'])).rejects.toThrow(/dimension mismatch.*expected 6 \(learned from its first response\), got 4/);
    expect(e.dim).toBe(6);
  });

  it('the batches of the first call must agree with each other', async () => {
    let n = 0;
    handler = (body, req, res) => ok(n++ === 0 ? 3 : 7)(body, req, res);
    await expect(learner({ batchSize: 1, concurrency: 1 }).embed(['a', 'b'])).rejects.toThrow(/dimension mismatch.*expected 3 \(learned/);
    handler = (_b, _r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ index: 0, embedding: [0.5, 0.5] }, { index: 1, embedding: [1] }] }));
    await expect(learner().embed(['a', 'b'])).rejects.toThrow(/expected 2 \(learned from its first response\), got 1/);
  });

  it('a failed probe can be retried', async () => {
    handler = (_b, _r, res) => res.writeHead(500).end('down');
    const e = learner();
    await expect(e.probe()).rejects.toThrow(/HTTP 500/);
    handler = ok(3);
    expect(await e.probe()).toBe(3);
  });

  it('behind CachedEmbedder: dimension, dim and probe come from the inner embedder', async () => {
    handler = ok(4);
    const cached = new CachedEmbedder(learner());
    expect(cached.dimension).toBeUndefined();
    expect(() => cached.dim).toThrow(/not known yet/);
    expect(await cached.probe()).toBe(4);
    expect(cached.dim).toBe(4);
    const [v] = await cached.embed(['x']);
    expect(v).toHaveLength(4);
  });

  it('a Retriever over a store of the right dimension works without a probe; the wrong one fails at the first embed', async () => {
    const { VectorStore } = await import('../src/store/vector-store.js');
    const { Retriever } = await import('../src/rag/retriever.js');
    handler = ok(6);
    const rag = new Retriever({ store: new VectorStore({ dim: 6 }), embedder: learner() });
    await rag.addDocuments([{ id: 'a', text: 'The first document.' }, { id: 'b', text: 'Another one here.' }]);
    expect(requests).toHaveLength(1); // no separate probe request
    expect((await rag.retrieve('first document', { mode: 'vector', k: 1 })).length).toBe(1);
    const wrong = new Retriever({ store: new VectorStore({ dim: 8 }), embedder: learner() });
    await expect(wrong.addDocuments([{ id: 'a', text: 'text' }])).rejects.toThrow(/returned a vector of length 6, store.dim is 8/);
    // Sizing a new store for such an embedder: probe first.
    const e = learner();
    const store = new VectorStore({ dim: await e.probe() });
    expect(store.dim).toBe(6);
  });

  it('a SemanticCache creates its default store at the first set()', async () => {
    const { SemanticCache } = await import('../src/rag/semantic-cache.js');
    handler = ok(6);
    const cache = new SemanticCache({ embedder: learner(), threshold: 0.9 });
    expect(await cache.get('anything')).toBeUndefined(); // no store yet: a miss, no request
    expect(requests).toHaveLength(0);
    expect(() => cache.store).toThrow(/not created yet/);
    await cache.set('What is HNSW?', 'A graph index.');
    expect(cache.store.dim).toBe(6);
    expect(await cache.get('What is HNSW?')).toBe('A graph index.');
    expect(cache.stats().size).toBe(1);
  });
});

describe('CachedEmbedder', () => {
  class CountingEmbedder implements Embedder {
    id = 'counting';
    dim = 8;
    calls: string[][] = [];
    private inner = new HashingEmbedder({ dim: 8 });
    async embed(texts: string[]) {
      this.calls.push(texts);
      return this.inner.embed(texts);
    }
  }

  it('serves repeats from the cache, counts hits and misses, deduplicates a batch', async () => {
    const inner = new CountingEmbedder();
    const cache = new CachedEmbedder(inner, { maxEntries: 100 });
    const first = await cache.embed(['a b', 'c d', 'a b']);
    expect(inner.calls).toEqual([['a b', 'c d']]);
    const second = await cache.embed(['c d', 'e f']);
    expect(inner.calls[1]).toEqual(['e f']);
    expect([...second[0]]).toEqual([...first[1]]);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 4, size: 3 });
    second[0][0] = 42; // callers get copies
    expect((await cache.embed(['c d']))[0][0]).not.toBe(42);
  });

  it('evicts the least recently used entry when full', async () => {
    const inner = new CountingEmbedder();
    const cache = new CachedEmbedder(inner, { maxEntries: 2 });
    await cache.embed(['one', 'two']);
    await cache.embed(['one']); // "two" is now least recent
    await cache.embed(['three']);
    expect(cache.stats().size).toBe(2);
    inner.calls.length = 0;
    await cache.embed(['one', 'two']);
    expect(inner.calls).toEqual([['two']]);
  });

  it('persists to a file and reloads for the same embedder only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embcache-'));
    dirs.push(dir);
    const path = join(dir, 'embeddings.cache');
    const cache = new CachedEmbedder(new CountingEmbedder(), { path });
    const [v] = await cache.embed(['persist me']);
    await cache.save();
    const inner = new CountingEmbedder();
    const reopened = await CachedEmbedder.open(inner, { path });
    expect([...(await reopened.embed(['persist me']))[0]]).toEqual([...v]);
    expect(inner.calls).toEqual([]);
    await expect(CachedEmbedder.open(new HashingEmbedder({ dim: 8 }), { path })).rejects.toThrow(/written for embedder counting/);
  });
});

describe('TransformersEmbedder', () => {
  const modelPath = process.env.QUIVER_TEST_MODEL_PATH;
  let installed = true;
  beforeAll(async () => {
    try {
      await import('@huggingface/transformers' as string);
    } catch {
      installed = false;
    }
  });

  it('explains how to install the optional package, or that the model folder is missing', async () => {
    const load = TransformersEmbedder.load({ modelPath: '/nonexistent/model' });
    await expect(load).rejects.toThrow(/does not exist/);
    if (!installed && existsSync(tmpdir())) {
      await expect(TransformersEmbedder.load({ modelPath: tmpdir() })).rejects.toThrow(/npm install @huggingface\/transformers/);
    }
  });

  it.skipIf(!modelPath)('embeds with a local model (skipped: set QUIVER_TEST_MODEL_PATH to a local ONNX model folder and install @huggingface/transformers)', async () => {
    const e = await TransformersEmbedder.load({ modelPath: modelPath as string });
    const [a, b, c] = await e.embed(['How do I reset my password?', 'Steps to recover account access', 'The stock price fell']);
    expect(a.length).toBe(e.dim);
    expect(cosineSimilarity(a, b)).toBeGreaterThan(cosineSimilarity(a, c));
  });
});
