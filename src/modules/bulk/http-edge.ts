// The plain-HTTP side of bulk work (file uploads and downloads): the caller authenticated the
// same way as GraphQL, and a domain error answered as JSON with its code, field and a status.
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { DomainError, ErrorCode } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import type { Viewer } from '../auth/viewer';

/** The caller of a plain-HTTP request, from its Authorization header (the request gives its address, for the failed-authentication limit). */
export type Authenticate = (authorization: string | undefined, req: IncomingMessage) => Promise<Viewer>;

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.PARTNER_SUSPENDED]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.IMPORT_FILE_INVALID]: 400,
  [ErrorCode.IDEMPOTENCY_CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** Answers a refused request; anything unexpected goes to `next` (a 500 with nothing leaked). */
export function answerError(res: Response, err: unknown): boolean {
  if (!(err instanceof DomainError) || res.headersSent) return false;
  res
    .status(STATUS[err.code] ?? 400)
    .json({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}), ...(err.details ?? {}) } });
  return true;
}

/** A query parameter given once, or null. */
export function param(req: Request, name: string): string | null {
  const v = req.query[name];
  if (v === undefined) return null;
  if (typeof v !== 'string') throw new DomainError(ErrorCode.BAD_USER_INPUT, `${name}: give it once`, name);
  return v;
}

export function idParam(req: Request, name: string): string | null {
  const v = param(req, name);
  return v === null ? null : requireId(v, name);
}

export function dateParam(req: Request, name: string): Date {
  const v = param(req, name);
  const d = v === null ? null : new Date(v);
  if (!v || !/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(d!.getTime())) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${name}: an ISO 8601 date-time is required`, name);
  }
  return d!;
}
