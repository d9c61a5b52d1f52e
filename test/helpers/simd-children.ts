// Runs one ES-module script in a child process per SIMD level this CPU has (QUIVER_SIMD),
// for tests that compare what every kernel level returns. Returns each child's parsed stdout.
import { expect } from 'vitest';
import { availableSimdLevels } from '../../src/index.js';
import { runNode } from './run-child.js';

export async function runAtEverySimdLevel<T>(script: string, timeoutMs: number): Promise<T[]> {
  const out: T[] = [];
  for (const level of availableSimdLevels()) {
    const r = await runNode(['--input-type=module', '-e', script], { env: { ...process.env, QUIVER_SIMD: level }, timeout: timeoutMs });
    expect(r.status, r.stderr).toBe(0);
    out.push(JSON.parse(r.stdout) as T);
  }
  return out;
}
