// Requests that Express refuses before Apollo sees them — a body that is not JSON, too large, in a
// charset or content encoding we do not read, not UTF-8 — answered like every other refusal:
// `{"errors":[{"message","extensions":{"code":"BAD_REQUEST"}}]}` with the 4xx status, instead of
// Express's HTML error page (which a GraphQL client cannot parse and which, outside production,
// carried a stack trace).
import type { IncomingMessage } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger';

/** Largest JSON body /graphql reads; documents and variables bigger than that are refused (413). */
export const MAX_BODY_BYTES = 256 * 1024;

/** What body-parser and raw-body put on the errors they pass to `next` (http-errors). */
interface BodyError extends Error {
  status?: number;
  type?: string;
  charset?: string;
  encoding?: string;
}

interface Refusal {
  status: number;
  message: string;
  extensions?: Record<string, unknown>;
}

/** The client's mistake in words that name it, or null when the error is not the client's. */
function refusal(err: BodyError): Refusal | null {
  const status = err.status ?? 500;
  if (status < 400 || status >= 500) return null;
  switch (err.type) {
    case 'entity.parse.failed':
      return { status, message: 'The request body is not valid JSON' };
    case 'entity.too.large':
      return { status: 413, message: `The request body is larger than ${MAX_BODY_BYTES} bytes`, extensions: { maxBytes: MAX_BODY_BYTES } };
    case 'charset.unsupported':
      return { status: 415, message: `Unsupported charset${err.charset ? ` "${err.charset}"` : ''}: send the body as UTF-8` };
    case 'encoding.unsupported':
      return { status: 415, message: `Unsupported content encoding${err.encoding ? ` "${err.encoding}"` : ''}: send gzip, deflate, br or none` };
    case 'encoding.invalid': // set by server.ts's requireUtf8
      return { status, message: 'The request body is not valid UTF-8' };
    case 'request.aborted':
      return { status, message: 'The request was aborted before its body arrived' };
    case 'request.size.invalid':
      return { status, message: 'The request body does not match its Content-Length' };
    default:
      // e.g. a body claimed to be gzip that is not: the decompressor's error, status 400.
      return { status, message: 'The request body could not be read' };
  }
}

/** What the request log knows of a request: its id, and the codes its response carries. */
export interface RequestRecord {
  requestId: string;
  errorCodes: Set<string>;
}

export function bodyErrorsAsGraphQL(logger: Logger, recordOf: (req: IncomingMessage) => RequestRecord | undefined = () => undefined): ErrorRequestHandler {
  return (err: BodyError, req, res, next) => {
    if (res.headersSent) return next(err);
    const r = refusal(err);
    const record = recordOf(req);
    const code = r ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    record?.errorCodes.add(code);
    const requestId = record ? { requestId: record.requestId } : {};
    if (!r) {
      logger.error({ err, ...requestId }, 'unexpected error before the GraphQL request ran');
      res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code, ...requestId } }] });
      return;
    }
    res.status(r.status).json({ errors: [{ message: r.message, extensions: { code, ...r.extensions, ...requestId } }] });
  };
}
