// Unknown option keys are errors: a misspelt `metrc` or `k` would otherwise be
// ignored and the caller would silently get defaults.

/** Edit distance between two short strings (option names). */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The known name closest to `key`, if it is close enough to be a likely typo. */
export function nearestName(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const name of known) {
    const candidate = name.toLowerCase();
    // A prefix or an abbreviation (`k` for `topK`, `ef` for `efSearch`) counts as close.
    const score = candidate.startsWith(lower) || candidate.endsWith(lower) ? 0.5 : editDistance(lower, candidate);
    if (score < bestScore) {
      bestScore = score;
      best = name;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(key.length, 1) / 3));
  return bestScore <= limit || bestScore === 0.5 ? best : undefined;
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
