// Engines for the conformance suite: the in-process VectorStore (durable, in a
// temp dir), PgVectorStore on PGlite in process, and PgVectorStore through the
// real `pg` client over TCP to a PGlite socket server on 127.0.0.1. No server
// needs to be installed: PGlite (PostgreSQL + pgvector compiled to WASM) is a
// devDependency.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { VectorStore, type Metric, type IndexOptions } from '../../src/index.js';
import type { VectorStoreApi } from '../../src/store/api.js';
import { PgVectorStore, type PgQueryable } from '../../src/pg/index.js';

export interface OpenArgs {
  dim?: number;
  metric?: Metric;
  index?: { M?: number; efConstruction?: number; efSearch?: number };
}

export interface Engine {
  name: string;
  /** Opens (creates, or reopens with `name`) a store. */
  open(args: OpenArgs, name?: string): Promise<VectorStoreApi>;
  /** The raw client of a PostgreSQL engine (for schema checks), undefined in process. */
  client?: PgQueryable;
  teardown(): Promise<void>;
}

let tableSeq = 0;
export const freshTable = () => `t_${process.pid}_${++tableSeq}`;

export async function newPglite(): Promise<PGlite> {
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  return db;
}

export async function localEngine(): Promise<Engine> {
  const root = mkdtempSync(join(tmpdir(), 'quiver-pg-conf-'));
  const open: VectorStore[] = [];
  return {
    name: 'in-process VectorStore',
    async open(args, name) {
      const index: IndexOptions | undefined = args.index ? { ...args.index } : undefined;
      const s = await VectorStore.open(join(root, name ?? freshTable()), { ...args, index, durability: 'none' });
      open.push(s);
      return s;
    },
    async teardown() {
      for (const s of open) await s.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function pgliteEngine(): Promise<Engine> {
  const db = await newPglite();
  return {
    name: 'PgVectorStore on PGlite',
    client: db,
    open: (args, name) => PgVectorStore.open({ client: db, table: name ?? freshTable(), ...args }),
    async teardown() {
      await db.close();
    },
  };
}

export async function socketServer(db: PGlite): Promise<{ server: PGLiteSocketServer; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 4 });
    try {
      await server.start();
      return { server, port };
    } catch (err) {
      if (attempt > 5) throw err;
    }
  }
}

/** pg.Pool over TCP to a PGlite socket server (one connection: PGlite is one session). */
export async function pgSocketEngine(): Promise<Engine> {
  const db = await newPglite();
  const { server, port } = await socketServer(db);
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1 });
  return {
    name: 'PgVectorStore via pg.Pool + pglite-socket',
    client: pool,
    open: (args, name) => PgVectorStore.open({ client: pool, table: name ?? freshTable(), ...args }),
    async teardown() {
      await pool.end();
      await server.stop();
      await db.close();
    },
  };
}

export const ENGINES: [string, () => Promise<Engine>][] = [
  ['local', localEngine],
  ['pglite', pgliteEngine],
  ['pg-socket', pgSocketEngine],
];
