// Every quantization mode keeps each stored vector exact while the storage grows under
// it: the coded modes keep float vectors in an array of their own beside the graph's
// blocks (float32 mode: inside them), and both are reallocated and copied on growth.
// Adds come in batches of growing size (many reallocations), then every vector is read
// back bit for bit and found as its own nearest neighbour at distance 0.
import { describe, expect, it } from 'vitest';
import { HnswIndex, type Metric } from '../src/index.js';
import { mixture } from './helpers/reference.js';

const MODES = ['none', 'int8', 'rabitq'] as const;
const METRICS: Metric[] = ['euclidean', 'cosine', 'ip'];

describe('HnswIndex storage growth', () => {
  for (const quantization of MODES)
    for (const metric of METRICS)
      it(`${quantization}, ${metric}: vectors exact and found after many growths`, () => {
        const dim = 70; // not a multiple of 8 or 16: odd block and vector strides
        const n = 1500;
        const data = mixture(n, dim, 5, 12, 0.5);
        const h = new HnswIndex({ dim, metric, quantization, efConstruction: 40 });
        let capacityChanges = 0;
        let lastCapacity = h.capacity;
        for (let start = 0, size = 1; start < n; start += size, size += 7) {
          const count = Math.min(size, n - start);
          const labels = Float64Array.from({ length: count }, (_, i) => 1000 + start + i);
          h.add(labels, data.subarray(start * dim, (start + count) * dim));
          if (h.capacity !== lastCapacity) capacityChanges++;
          lastCapacity = h.capacity;
        }
        expect(capacityChanges).toBeGreaterThan(5);
        const all = Float64Array.from({ length: n }, (_, i) => 1000 + i);
        expect(Buffer.from(h.getVectors(all).buffer).equals(Buffer.from(data.buffer, data.byteOffset, n * dim * 4))).toBe(true);
        let self = 0;
        for (let i = 0; i < n; i += 7) {
          const r = h.search(data.subarray(i * dim, (i + 1) * dim), 1, { ef: 64 });
          if (r.labels[0] === 1000 + i) self++;
        }
        // ip ranks by -dot, so a vector need not be its own best match there.
        if (metric !== 'ip') expect(self).toBe(Math.ceil(n / 7));
      });
});
