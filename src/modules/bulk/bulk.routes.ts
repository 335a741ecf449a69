// The plain-HTTP routes of bulk work: file uploads (imports) and downloads (exports). Mounted by
// server.ts next to /graphql; authenticated the same way.
import { Router } from 'express';
import type { Pool } from '../../db/sql';
import type { SettlementPeriodService } from '../settlement/settlement-period.service';
import { Authenticate } from './http-edge';
import { statementExport, transactionsExport } from './exports';
import type { ImportService } from './import-jobs';
import { importUpload } from './import-upload';

export interface BulkDeps {
  db: Pool;
  authenticate: Authenticate;
  settlementPeriods: SettlementPeriodService;
  imports: ImportService;
}

export function bulkRoutes(deps: BulkDeps): Router {
  const router = Router();
  router.get('/exports/transactions.csv', transactionsExport(deps.db, deps.authenticate));
  router.get('/exports/settlement/:statementId.csv', statementExport(deps.settlementPeriods, deps.authenticate));
  router.post('/imports/members', importUpload('MEMBERS', deps.imports, deps.authenticate));
  router.post('/imports/earns', importUpload('EARNS', deps.imports, deps.authenticate));
  return router;
}
