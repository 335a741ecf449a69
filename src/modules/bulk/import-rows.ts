// Reading one row's values (CSV gives strings, NDJSON any JSON) and saying what is wrong with a
// row: a DomainError names the column in `field` (enrollMember's "input.email" becomes "email").
import { DomainError, badInput } from '../../errors/domain-error';
import { requireText } from '../../errors/text';
import type { RawRow } from './import-file';

/** A row refused for a reason no GraphQL error has a code for (ALREADY_RECORDED). */
export class ImportRowFailure extends Error {
  constructor(
    readonly code: string,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
  }
}

export interface RowError {
  row: number;
  code: string;
  field: string | null;
  message: string;
}

/** What a row's failure is reported as; null for an unexpected error (which is not the row's fault). */
export function rowError(row: number, err: unknown): RowError | null {
  if (err instanceof ImportRowFailure) return { row, code: err.code, field: err.field, message: err.message };
  if (err instanceof DomainError) {
    const field = err.field ? err.field.replace(/^input\./, '') : null;
    const message = err.field && err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
    return { row, code: err.code, field, message };
  }
  return null;
}

function valueOf(raw: RawRow, field: string): string | null {
  const v = raw[field];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw badInput(field, 'must be a string or a number');
  const s = requireText(v, field).trim();
  return s === '' ? null : s;
}

export function text(raw: RawRow, field: string, max: number): string {
  const v = valueOf(raw, field);
  if (v === null) throw badInput(field, 'is required');
  if (v.length > max) throw badInput(field, `at most ${max} characters`);
  return v;
}

export function optionalText(raw: RawRow, field: string): string | null {
  return valueOf(raw, field);
}
