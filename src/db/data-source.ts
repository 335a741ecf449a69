// The one DataSource. Entities and migrations are listed as classes (not globs) so the tsc
// build and vitest load the same set.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { types } from 'pg';
import { CoreLedger1764000000000 } from '../../migrations/1764000000000-CoreLedger';
import { CatalogRedemption1764000100000 } from '../../migrations/1764000100000-CatalogRedemption';
import { SecurityAudit1764000200000 } from '../../migrations/1764000200000-SecurityAudit';
import { EarningRules1764000300000 } from '../../migrations/1764000300000-EarningRules';
import { PointsLifecycle1764000500000 } from '../../migrations/1764000500000-PointsLifecycle';
import { LedgerAppendOnly1764000600000 } from '../../migrations/1764000600000-LedgerAppendOnly';
import { PartnerLinks1764000720000 } from '../../migrations/1764000720000-PartnerLinks';
import { ReferralQualifyingEarn1764000740000 } from '../../migrations/1764000740000-ReferralQualifyingEarn';
import { LedgerKernel1764000800000 } from '../../migrations/1764000800000-LedgerKernel';
import { entities } from './entities';
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
];

export function createDataSource(url: string, poolSize: number): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'schema_migration',
    synchronize: false,
    logging: false,
    extra: {
      // Every pooled connection listens for its own 'error' for its whole life (see GuardedClient):
      // a backend terminated between checkout and TypeORM's listener must not kill the process.
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
    },
  });
}
