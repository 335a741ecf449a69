// The database's two doors: the pg pool every query goes through (createPool), and the TypeORM
// DataSource that only runs the migrations (createMigrator). Migrations are listed as classes
// (not globs) so the tsc build and vitest load the same set.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Pool, types } from 'pg';
import { CoreLedger1764000000000 } from '../../migrations/1764000000000-CoreLedger';
import { CatalogRedemption1764000100000 } from '../../migrations/1764000100000-CatalogRedemption';
import { SecurityAudit1764000200000 } from '../../migrations/1764000200000-SecurityAudit';
import { EarningRules1764000300000 } from '../../migrations/1764000300000-EarningRules';
import { PointsLifecycle1764000500000 } from '../../migrations/1764000500000-PointsLifecycle';
import { LedgerAppendOnly1764000600000 } from '../../migrations/1764000600000-LedgerAppendOnly';
import { PartnerLinks1764000720000 } from '../../migrations/1764000720000-PartnerLinks';
import { ReferralQualifyingEarn1764000740000 } from '../../migrations/1764000740000-ReferralQualifyingEarn';
import { LedgerKernel1764000800000 } from '../../migrations/1764000800000-LedgerKernel';
import { TransactionTypes1764000850000 } from '../../migrations/1764000850000-TransactionTypes';
import { Webhooks1764000900000 } from '../../migrations/1764000900000-Webhooks';
import { TillAndPayments1764000910000 } from '../../migrations/1764000910000-TillAndPayments';
import { StaffAndPrivacy1764000920000 } from '../../migrations/1764000920000-StaffAndPrivacy';
import { MemberServicing1764000950000 } from '../../migrations/1764000950000-MemberServicing';
import { SettlementStatements1764000960000 } from '../../migrations/1764000960000-SettlementStatements';
import { ImportJobs1764000961000 } from '../../migrations/1764000961000-ImportJobs';
import { Surveys1764001000000 } from '../../migrations/1764001000000-Surveys';
import { InsightAggregates1764001010000 } from '../../migrations/1764001010000-InsightAggregates';
import { CampaignBudgets1764001020000 } from '../../migrations/1764001020000-CampaignBudgets';
import { TierPolicy1764001030000 } from '../../migrations/1764001030000-TierPolicy';
import { ScaleIndexes1764001200000 } from '../../migrations/1764001200000-ScaleIndexes';
import { InsightMonths1764001300000 } from '../../migrations/1764001300000-InsightMonths';
import { ImportWatermark1764002000000 } from '../../migrations/1764002000000-ImportWatermark';
import { SettlementAggregates1764003000000 } from '../../migrations/1764003000000-SettlementAggregates';
import { InsightPartnerMonths1764004000000 } from '../../migrations/1764004000000-InsightPartnerMonths';
import { GuardedClient } from './guarded-client';

// Points and counts are bigint in SQL and Int in GraphQL: read int8 as a JS number, refusing
// (rather than silently rounding) anything past 2^53.
types.setTypeParser(types.builtins.INT8, (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} exceeds the safe integer range`);
  return n;
});

export const migrations = [
  CoreLedger1764000000000,
  CatalogRedemption1764000100000,
  SecurityAudit1764000200000,
  EarningRules1764000300000,
  PointsLifecycle1764000500000,
  LedgerAppendOnly1764000600000,
  PartnerLinks1764000720000,
  ReferralQualifyingEarn1764000740000,
  LedgerKernel1764000800000,
  TransactionTypes1764000850000,
  Webhooks1764000900000,
  TillAndPayments1764000910000,
  StaffAndPrivacy1764000920000,
  MemberServicing1764000950000,
  SettlementStatements1764000960000,
  ImportJobs1764000961000,
  Surveys1764001000000,
  InsightAggregates1764001010000,
  CampaignBudgets1764001020000,
  TierPolicy1764001030000,
  ScaleIndexes1764001200000,
  InsightMonths1764001300000,
  ImportWatermark1764002000000,
  SettlementAggregates1764003000000,
  InsightPartnerMonths1764004000000,
];

/** The DataSource that applies migrations (and takes them back in tests); nothing else uses TypeORM. */
export function createMigrator(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'schema_migration',
    synchronize: false,
    logging: false,
    extra: { Client: GuardedClient, max: 1, application_name: 'loyalty-gateway-migrate' },
  });
}

/** Apply every pending migration, each run in one transaction. */
export async function migrate(url: string): Promise<void> {
  const migrator = createMigrator(url);
  await migrator.initialize();
  try {
    await migrator.runMigrations({ transaction: 'all' });
  } finally {
    await migrator.destroy();
  }
}

/** The pool every statement of the gateway runs on. */
export function createPool(url: string, poolSize: number): Pool {
  const pool = new Pool({
    connectionString: url,
    // Every pooled connection listens for its own 'error' for its whole life (see GuardedClient):
    // a backend terminated while a client is checked out must not kill the process.
    Client: GuardedClient,
    max: poolSize,
    // Fail a request rather than hang forever when the pool is exhausted or the DB is gone.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'loyalty-gateway',
    // No JIT: it pays off for long analytical queries, not for this server's short ones. With it
    // on, a batch's wallet lock (a few subqueries over an unanalysed one-row table, so a high
    // cost estimate) compiled for ~300 ms on every execution instead of running in 1 ms.
    options: '-c jit=off',
  });
  // An idle client whose connection dies: pg-pool removes it; without a listener the process would die.
  pool.on('error', () => undefined);
  return pool;
}

/** The URL a pool connects to (the relay and the rate limiter open their own connections there). */
export function poolUrl(pool: Pool): string {
  return (pool.options as { connectionString: string }).connectionString;
}
