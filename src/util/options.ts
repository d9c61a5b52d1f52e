// Unknown option keys are errors: a misspelt `metrc` or `k` would otherwise be
// ignored and the caller would silently get defaults. Each options type keeps
// its key list beside it, declared with optionKeys<T>() so the compiler keeps
// the list and the type in step.

/** The keys of T that `K` lacks, or that `K` has and T lacks, as a type error; else unknown. */
type SameKeys<T, K extends PropertyKey> = [Exclude<keyof T, K>] extends [never]
  ? [Exclude<K, keyof T>] extends [never]
    ? unknown
    : { error: 'keys not in the interface'; keys: Exclude<K, keyof T> }
  : { error: 'interface keys missing from the list'; keys: Exclude<keyof T, K> };

/**
 * `optionKeys<Options>()('a', 'b')` returns ['a', 'b'] when they are exactly
 * the keys of Options, and does not compile otherwise (naming the keys).
 */
export function optionKeys<T>() {
  return <const K extends readonly string[]>(...keys: K & SameKeys<T, K[number]>): readonly string[] => keys;
}

/** Edit distance where swapping two adjacent characters counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** How far `key` is from `name`: 0 for a case-only difference, 0.5 for an abbreviation or extension, else edits. */
function closeness(key: string, name: string): number {
  const k = key.toLowerCase();
  const n = name.toLowerCase();
  if (k === n) return 0;
  // `k` for `topK`, `ef` for `efSearch`, `dimension` for `dim`, `durable` for `durability`.
  if (n.startsWith(k) || n.endsWith(k) || (n.length >= 3 && k.startsWith(n))) return 0.5;
  if (k.length >= 4 && n.length >= 4 && (k.startsWith(n.slice(0, 4)) || n.startsWith(k.slice(0, 4)))) return 0.75;
  return editDistance(k, n);
}

/** The known name closest to `key`, if it is close enough to be a likely typo. */
export function nearestName(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const name of known) {
    const score = closeness(key, name);
    if (score < bestScore) {
      bestScore = score;
      best = name;
    }
  }
  const limit = Math.max(1, Math.floor(key.length / 3));
  return bestScore <= limit ? best : undefined;
}

/**
 * Throws a TypeError naming the first key of `options` that is not in `known`,
 * with the nearest valid name as a suggestion. `where` names the call, e.g.
 * `VectorStore.query options`. Non-objects and undefined pass (their own checks
 * report them); keys whose value is undefined are checked too.
 */
export function assertKnownKeys(options: unknown, known: readonly string[], where: string): void {
  if (options === null || typeof options !== 'object') return;
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    const hint = near ? `did you mean '${near}'?` : `valid options: ${known.join(', ')}`;
    throw new TypeError(`${where}: unknown option '${key}' (${hint})`);
  }
}
