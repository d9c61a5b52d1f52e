// The HNSW file format under damage: corrupted, truncated, foreign and
// future-version files are rejected with an Error (never a crash), and a save
// killed midway leaves a loadable file. The damage runs in child processes so
// that a crash would show up as a failed exit, not a dead test runner.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HnswIndex } from '../src/index.js';
import { runNode } from './helpers/run-child.js';

describe('HnswIndex.load on damaged files', () => {
  it.each([1, 2])('rejects every damaged copy cleanly (seed %i, child process)', async (seed) => {
    const child = await runNode(['test/fixtures/hnsw-corrupt.mjs', String(seed)], { timeout: 60_000 });
    expect(child.signal).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    const out = JSON.parse(child.stdout.trim());
    expect(out.cases).toBeGreaterThan(900);
    // Only structurally valid re-sealed edits (e.g. a link moved to another
    // valid node) may load; every checksummed corruption or cut is rejected.
    expect(out.accepted.filter((name: string) => !name.startsWith('resealed#'))).toEqual([]);
    expect(out.messages['format version # is newer than this quiverdb reads (#); upgrade quiverdb']).toBeGreaterThan(0);
    expect(Object.keys(out.messages).some((m) => m.includes('invalid link'))).toBe(true);
    expect(Object.keys(out.messages).some((m) => m.includes('truncated'))).toBe(true);
  }, 70_000);
});

describe('HnswIndex.save is atomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-hnsw-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a save killed at random moments always leaves a loadable index', async () => {
    const path = join(dir, 'index.hnsw');
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['test/fixtures/hnsw-save-crash.mjs', path], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`save child exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, 100 + 150 * round));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const loaded = HnswIndex.loadSync(path);
      expect(loaded.size % 500).toBe(0);
      expect(loaded.size).toBeGreaterThanOrEqual(2000);
      expect(loaded.search(new Float32Array(64), 5).labels.length).toBe(5);
    }
    // Leftover temporary files from killed saves are the only debris allowed.
    expect(readdirSync(dir).filter((f) => !f.includes('.tmp-'))).toEqual(['index.hnsw']);
  }, 60_000);
});
