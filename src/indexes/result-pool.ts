// Single-query results carved out of shared ArrayBuffers, the way Node's Buffer pool
// carves small Buffers out of an 8 KiB slab.
//
// V8 keeps a typed array of up to 64 bytes on the JS heap, but gives a larger one its own
// off-heap ArrayBuffer: a malloc, a sweep on a GC thread and a free. For k 10 the labels
// (80 bytes) cross that line, and that one allocation cost as much CPU as a whole search of
// a low-dimensional HNSW index (bench/reports/hnsw-peers). A view into a slab is a small
// JS-heap object. Slab regions are handed out once and never rewritten, so a result stays
// valid for as long as the caller keeps it; a kept result keeps its slab (8 KiB) alive.
import { markAsUntransferable } from 'node:worker_threads';
import type { SearchResult } from './results.js';

const SLAB_BYTES = 8192;
/** Bytes per result row: a float64 label and a float32 distance. */
const ROW_BYTES = 12;
/** Results above half a slab get buffers of their own (Node's Buffer pool draws the same line). */
const MAX_POOLED_ROWS = Math.floor(SLAB_BYTES / 2 / ROW_BYTES);

let slab = newSlab();
let used = 0;

function newSlab(): ArrayBuffer {
  const b = new ArrayBuffer(SLAB_BYTES);
  // postMessage(..., [labels.buffer]) would otherwise detach every other result in the slab.
  markAsUntransferable(b);
  return b;
}

/**
 * A copy of the first `count` rows of `labels` and `distances` (a native call's reusable
 * output buffers) as a result the caller owns. Small results are views into a shared slab,
 * so `result.labels.buffer` may be larger than the result and hold other results' rows.
 */
export function takeResult(labels: Float64Array, distances: Float32Array, count: number): SearchResult {
  if (count > MAX_POOLED_ROWS) return { labels: labels.slice(0, count), distances: distances.slice(0, count) };
  const bytes = count * ROW_BYTES;
  // A detached slab (ArrayBuffer.prototype.transfer, which the mark above does not stop)
  // reports byteLength 0 and is replaced rather than written through.
  if (slab.byteLength - used < bytes || slab.byteLength === 0) {
    slab = newSlab();
    used = 0;
  }
  const outLabels = new Float64Array(slab, used, count);
  const outDistances = new Float32Array(slab, used + count * 8, count);
  used += (bytes + 7) & ~7; // keep the next Float64Array 8-byte aligned
  for (let i = 0; i < count; i++) {
    outLabels[i] = labels[i];
    outDistances[i] = distances[i];
  }
  return { labels: outLabels, distances: outDistances };
}
