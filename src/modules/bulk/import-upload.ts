// POST /imports/members and /imports/earns: the body (text/csv with a header row, or
// application/x-ndjson) is read as a stream into the job's stage, never held whole; the answer is
// 202 {"importId"} once the file has arrived. Idempotency-Key makes a re-sent upload return the
// same job.
import type { Request, Response } from 'express';
import { DomainError, ErrorCode } from '../../errors/domain-error';
import { validKey } from '../ledger/idempotency';
import { importPartner } from '../auth/policy';
import { type Caller, callerScope } from '../auth/viewer';
import { Authenticate, answerError, idParam } from './http-edge';
import { formatOf } from './import-file';
import type { ImportKind, ImportService } from './import-jobs';

export function importUpload(kind: ImportKind, imports: ImportService, authenticate: Authenticate) {
  return async (req: Request, res: Response, next: (err: unknown) => void) => {
    try {
      const viewer = await authenticate(req.headers.authorization, req);
      const partnerId = importPartner(viewer, idParam(req, 'partnerId'));
      const format = formatOf(req.headers['content-type']);
      if (!format) {
        throw new DomainError(ErrorCode.IMPORT_FILE_INVALID, 'Content-Type: send text/csv (with a header row) or application/x-ndjson', 'Content-Type');
      }
      const header = req.headers['idempotency-key'];
      const key = typeof header === 'string' ? validKey(header, 'Idempotency-Key') : null;
      const job = await imports.receive(kind, partnerId, callerScope(viewer as Caller), key, format, req);
      res.status(202).json({ importId: job.id, status: job.status });
    } catch (err) {
      // The rest of a refused upload is not read; the connection closes with the answer.
      if (!req.readableEnded) res.setHeader('connection', 'close');
      if (!answerError(res, err)) next(err);
    }
  };
}
