// A store left open is not an error (issue 12): a program that exits without
// close(), or drops a store and lets the garbage collector run, prints no
// "Closing file descriptor N on garbage collection" warning (Node's message for a
// FileHandle collected while open) nor any other, exits by itself, and every
// acknowledged write is there when the directory is reopened. Run in child
// processes, which are the only place exit and GC can be observed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VectorStore } from '../src/index.js';
import { CHILD_DIM, childRecords } from './fixtures/fd-warnings-data.js';

const FIXTURE = 'test/fixtures/fd-warnings-child.ts';
const VITE_NODE = 'node_modules/vite-node/vite-node.mjs';
const root = mkdtempSync(join(tmpdir(), 'quiver-fd-'));
let dirs = 0;
const freshDir = () => join(root, `s${dirs++}`);

/**
 * The fixture as plain JS when esbuild is there (vite-node transpiles on every start). The
 * bundle lives inside the package (node_modules/.cache), with packages left external, so
 * it finds the addon and its dependencies as the sources do.
 */
let bundle: string | undefined;
const cacheDir = join(process.cwd(), 'node_modules', '.cache', `quiver-fd-test-${process.pid}`);
beforeAll(async () => {
  try {
    const esbuild = await import('esbuild');
    mkdirSync(cacheDir, { recursive: true });
    const outfile = join(cacheDir, 'fd-warnings-child.mjs');
    await esbuild.build({
      entryPoints: [FIXTURE], bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'silent',
    });
    bundle = outfile;
  } catch {
    bundle = undefined; // vite-node it is
  }
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string[];
  stderr: string;
  timedOut: boolean;
}

/** Runs the fixture; it must exit by itself (nothing may keep the event loop alive) within `limitMs`. */
function runChild(dir: string, mode: string, limitMs = 60_000): Promise<ChildResult> {
  const args = [...(mode === 'drop-gc' ? ['--expose-gc'] : []), ...(bundle ? [bundle] : [VITE_NODE, FIXTURE]), dir, mode];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '', timedOut = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, limitMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.split('\n').filter(Boolean), stderr, timedOut });
    }),
  );
}

function expectQuietExit(r: ChildResult): void {
  expect(r.timedOut, 'the process exits by itself (no timer or handle keeps it alive)').toBe(false);
  expect(r.stderr).not.toMatch(/Closing file descriptor/);
  expect(r.stderr).not.toMatch(/DEP0137|FileHandle/);
  expect(r.stderr, 'no warning of any kind').toBe('');
  expect(r.code).toBe(0);
}

/** Every acknowledged record (all but r0, deleted) is there after reopening, with its vector and metadata. */
async function expectDurable(dir: string): Promise<void> {
  const store = await VectorStore.open(dir);
  try {
    const records = childRecords();
    expect(store.dim).toBe(CHILD_DIM);
    expect(store.size).toBe(records.length - 1);
    const got = await store.get(records.map((r) => r.id));
    expect(got[0]).toBeUndefined();
    for (let i = 1; i < records.length; i++) {
      expect(got[i]?.id).toBe(records[i].id);
      expect(Array.from(got[i]!.vector)).toEqual(records[i].vector);
      expect(got[i]!.metadata).toEqual(records[i].metadata);
    }
  } finally {
    await store.close();
  }
}

describe('a store that is never closed', () => {
  it.each(['exit', 'exit-none', 'exit-hnsw'])('mode %s: the process exits by itself, prints no warning, and the acknowledged writes are durable', async (mode) => {
    const dir = freshDir();
    const r = await runChild(dir, mode);
    expectQuietExit(r);
    expect(r.stdout).toEqual([`acked ${childRecords().length - 1}`]);
    expect(existsSync(join(dir, 'quiver.json'))).toBe(true);
    await expectDurable(dir);
  });

  it('dropped and garbage collected: no warning; its files are closed and its directory released, so this process can reopen it', async () => {
    const dir = freshDir();
    const r = await runChild(dir, 'drop-gc');
    expectQuietExit(r);
    const n = childRecords().length - 1;
    expect(r.stdout).toEqual([`acked ${n}`, 'open-files 0', `reopened ${n}`]);
    await expectDurable(dir);
  });
});
