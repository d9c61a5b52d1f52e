// quiverdb/pg: the store API on PostgreSQL + pgvector (see docs/postgres.md).
export {
  PgVectorStore, PgSchemaError, PG_SCHEMA_VERSION, parseTableName,
  type PgQueryable, type PgVectorStoreOptions, type PgIndexOptions,
} from './pg-vector-store.js';
export { filterToSql, SqlParams, checkPgString } from './filter-sql.js';
export type { VectorStoreApi, VectorStoreExtras } from '../store/api.js';
export {
  migrateStores, migrateCommand, storeChecksum, canonicalJson, MIGRATE_USAGE,
  type MigrateOptions, type MigrateReport, type StoreChecksum,
} from './migrate.js';
