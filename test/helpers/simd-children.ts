// Runs one ES-module script in a child process per SIMD level this CPU has (QUIVER_SIMD),
// for tests that compare what every kernel level returns. Returns each child's parsed stdout.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { availableSimdLevels } from '../../src/index.js';

export function runAtEverySimdLevel<T>(script: string, timeoutMs: number): T[] {
  return availableSimdLevels().map((level) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8', env: { ...process.env, QUIVER_SIMD: level }, timeout: timeoutMs,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  });
}
