// Followers in other processes: one writer and three readers; the writer runs
// a fixed, idempotent history of upserts and deletes and is SIGKILLed at
// random moments (restarted each time, taking over its stale lock). Every
// observation a reader makes (get, count and an exact query, in one turn)
// must equal the state after some prefix of the history, no further than the
// operations the writer had begun, and a reader's prefix never goes back. At
// the end each reader catches up with the recovered store exactly.
import { spawn } from 'node:child_process';
import { promises as fs, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VectorStore } from '../src/index.js';
import { ALL_IDS, PROBE, TOP_K, observe, prefixObservations, type Observation, type RecordView } from './fixtures/follower-model.js';
import { rng } from './helpers/reference.js';
import { useFixtureBundles } from './helpers/fixture-bundles.js';

const ROUNDS = Number(process.env.QUIVER_FOLLOWER_ROUNDS ?? 50);
const READERS = 3;
const root = mkdtempSync(join(tmpdir(), 'quiver-followers-proc-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));

const FIXTURES = ['test/fixtures/follower-writer.ts', 'test/fixtures/follower-reader.ts'];
const childCommand = useFixtureBundles(FIXTURES);

interface Child {
  child: ReturnType<typeof spawn>;
  lines: string[];
  closed: Promise<void>;
  /** Resolves with the first line matching `re`. */
  waitLine(re: RegExp): Promise<string>;
}

function start(fixture: string, args: string[]): Child {
  const { argv, env } = childCommand(fixture, args);
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].re.test(line)) waiters.splice(i, 1)[0].resolve(line);
    }
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child, lines, closed,
    waitLine: (re) => {
      const found = lines.find((l) => re.test(l));
      return found !== undefined ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ re, resolve }));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const same = (a: Observation, b: Observation) => a.count === b.count && a.hash === b.hash && a.top.join() === b.top.join();

describe('followers in other processes', () => {
  it(`one writer SIGKILLed ${ROUNDS} times, three readers: every answer is an acknowledged prefix, never going back`, async () => {
    const dir = join(root, 'store');
    const r = rng(4242);
    let nextOp = 0;
    /** Operations begun: a reader may see up to these (the one in flight may have been logged whole before the kill). */
    let begun = 0;
    let readers: Child[] = [];
    let acked = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const writer = start(FIXTURES[0], [dir, String(nextOp)]);
      await writer.waitLine(/^ready/);
      if (round === 0) {
        readers = Array.from({ length: READERS }, () => start(FIXTURES[1], [dir]));
        await Promise.all(readers.map((c) => c.waitLine(/^ready/)));
      }
      await sleep(40 + r() * 250);
      writer.child.kill('SIGKILL');
      await writer.closed;
      const acks = writer.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.split(' ')[1]));
      acked += acks.length;
      const last = acks.length ? acks[acks.length - 1] : nextOp - 1;
      // The operation after the last ack may have been logged (whole) before the kill.
      begun = Math.max(begun, last + 2);
      nextOp = last + 1;
    }
    // The recovered store, opened by a new writer (the lock of the killed one is stale).
    const writer = await VectorStore.open(dir);
    const finalLsn = writer.lsn;
    const got = (await writer.get(ALL_IDS)).filter((x) => !!x) as unknown as RecordView[];
    const top = writer.querySync(PROBE, { topK: TOP_K, includeMetadata: false }).map((h) => h.id);
    const finalObs = observe(got, top);
    readers.forEach((c) => c.child.stdin!.write(`wait ${finalLsn}\n`));
    await Promise.all(readers.map((c) => c.closed));
    await writer.close();

    const states = prefixObservations(begun);
    const finalPrefix = states.findLastIndex((s) => same(s, finalObs));
    expect(finalPrefix, 'the recovered store is a prefix of the history').toBeGreaterThanOrEqual(nextOp);
    let observations = 0;
    for (const reader of readers) {
      let floor = 0;
      let lastLsn = 0;
      for (const line of reader.lines) {
        const m = /^(obs|final) (\d+) (.*)$/.exec(line);
        if (!m) {
          expect(line).toMatch(/^ready$/);
          continue;
        }
        const lsn = Number(m[2]);
        const obs = JSON.parse(m[3]) as Observation;
        expect(lsn, 'a reader never goes back').toBeGreaterThanOrEqual(lastLsn);
        lastLsn = lsn;
        // The first prefix at or after the floor that matches (equal states may repeat: a delete of absent ids).
        let p = -1;
        for (let i = floor; i < states.length; i++) if (same(states[i], obs)) { p = i; break; }
        expect(p, `observation at LSN ${lsn} matches a prefix from ${floor} on`).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(finalPrefix);
        floor = p;
        observations++;
        if (m[1] === 'final') expect(same(obs, finalObs), 'caught up with the recovered store').toBe(true);
      }
      expect(reader.lines.some((l) => l.startsWith('final '))).toBe(true);
      expect(reader.lines.some((l) => l.startsWith('errors '))).toBe(false);
    }
    expect(observations).toBeGreaterThan(READERS * ROUNDS);
    console.log(`followers kill test: ${ROUNDS} kill rounds, ${acked} acknowledged writes, ${begun} operations begun, ${observations} reader observations checked`);
  }, 600_000);
});
