// Misspellings of an option key, for the unknown-option generator tests: one
// character dropped, two adjacent characters swapped, the case of the whole key or
// of one character changed, and any abbreviations given.
export function misspellings(key: string, abbreviations: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (let i = 0; i < key.length; i++) out.add(key.slice(0, i) + key.slice(i + 1));
  for (let i = 0; i + 1 < key.length; i++) out.add(key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2));
  out.add(key.toLowerCase());
  out.add(key.toUpperCase());
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    out.add(key.slice(0, i) + flipped + key.slice(i + 1));
  }
  for (const a of abbreviations) out.add(a);
  out.delete(key);
  out.delete('');
  return [...out];
}
