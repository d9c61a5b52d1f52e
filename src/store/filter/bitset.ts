// A growable bit set over the store's slots. Filters compile to these, and the
// set of live slots is one too; word-wise boolean algebra keeps a filter over a
// million slots in the tens of microseconds per operator.

export class BitSet {
  words: Uint32Array;

  constructor(bits = 0) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(bits / 32)));
  }

  /** Number of slots the set can address without growing. */
  get capacity(): number {
    return this.words.length * 32;
  }

  clone(): BitSet {
    const out = new BitSet(0);
    out.words = this.words.slice();
    return out;
  }

  /** Grows (never shrinks) so that `bit` is addressable. */
  ensure(bit: number): void {
    if (bit < this.words.length * 32) return;
    let n = this.words.length;
    while (n * 32 <= bit) n *= 2;
    const grown = new Uint32Array(n);
    grown.set(this.words);
    this.words = grown;
  }

  add(bit: number): void {
    this.ensure(bit);
    this.words[bit >>> 5] |= 1 << (bit & 31);
  }

  delete(bit: number): void {
    if (bit < this.words.length * 32) this.words[bit >>> 5] &= ~(1 << (bit & 31));
  }

  has(bit: number): boolean {
    return bit < this.words.length * 32 && (this.words[bit >>> 5] & (1 << (bit & 31))) !== 0;
  }

  /** this &= other (missing words of `other` count as zero). */
  and(other: BitSet): this {
    const a = this.words, b = other.words, n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) a[i] &= b[i];
    a.fill(0, n);
    return this;
  }

  /** this |= other. */
  or(other: BitSet): this {
    if (other.words.length > this.words.length) this.ensure(other.words.length * 32 - 1);
    const a = this.words, b = other.words;
    for (let i = 0; i < b.length; i++) a[i] |= b[i];
    return this;
  }

  /** this &= ~other. */
  andNot(other: BitSet): this {
    const a = this.words, b = other.words, n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) a[i] &= ~b[i];
    return this;
  }

  /** The first bit in [from, end) that is not set, or -1. */
  nextClear(from: number, end: number): number {
    const w = this.words;
    for (let b = from; b < end; ) {
      const i = b >>> 5;
      const word = i < w.length ? w[i] : 0;
      const clear = ~word & (0xffffffff << (b & 31));
      if (clear !== 0) {
        const bit = i * 32 + 31 - Math.clz32(clear & -clear);
        return bit < end ? bit : -1;
      }
      b = (i + 1) * 32;
    }
    return -1;
  }

  count(): number {
    let c = 0;
    const w = this.words;
    for (let i = 0; i < w.length; i++) {
      let v = w[i];
      if (v === 0) continue;
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      c += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return c;
  }

  /** Calls fn for every set bit, ascending. */
  forEach(fn: (bit: number) => void): void {
    const w = this.words;
    for (let i = 0; i < w.length; i++) {
      let v = w[i];
      while (v !== 0) {
        const low = v & -v;
        fn(i * 32 + 31 - Math.clz32(low));
        v ^= low;
      }
    }
  }

  /** The set bits, ascending. */
  toLabels(count = this.count()): Float64Array {
    const out = new Float64Array(count);
    const w = this.words;
    let k = 0;
    for (let i = 0; i < w.length && k < count; i++) {
      let v = w[i];
      while (v !== 0) {
        const low = v & -v;
        out[k++] = i * 32 + 31 - Math.clz32(low);
        v ^= low;
      }
    }
    return out;
  }
}
