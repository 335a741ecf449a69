// Reading an uploaded file as rows, streamed: CSV with a header row (csv-parse) or NDJSON (one
// JSON object a line). Whatever makes the file unreadable as a whole — not CSV, a line that is not
// a JSON object, a required column missing, more rows than allowed — is a FileInvalid, and the
// job fails with nothing written. A bad value in one row is that row's business (the appliers').
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';

export type FileFormat = 'CSV' | 'NDJSON';
export type RawRow = Record<string, unknown>;

export class FileInvalid extends Error {
  constructor(
    message: string,
    readonly row: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The format a Content-Type names, or null. */
export function formatOf(contentType: string | undefined): FileFormat | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv') return 'CSV';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'NDJSON';
  return null;
}

/** Rows numbered from 1 (the first data row; a CSV's header is not counted). */
export async function* readRows(body: Readable, format: FileFormat, required: readonly string[], maxRows: number): AsyncGenerator<[number, RawRow]> {
  const source = format === 'CSV' ? csvRows(body, required) : ndjsonRows(body);
  let n = 0;
  for await (const row of source) {
    n += 1;
    if (n > maxRows) throw new FileInvalid(`the file has more than ${maxRows} rows (IMPORT_MAX_ROWS)`, n);
    yield [n, row];
  }
}

async function* csvRows(body: Readable, required: readonly string[]): AsyncGenerator<RawRow> {
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    trim: true,
    columns: (header: string[]) => {
      const missing = required.find((c) => !header.includes(c));
      if (missing) throw new FileInvalid(`the header row has no "${missing}" column (it needs ${required.join(', ')})`, 0, missing);
      return header;
    },
  });
  body.pipe(parser);
  body.on('error', (err) => parser.destroy(err));
  try {
    for await (const record of parser) yield record as RawRow;
  } catch (err) {
    if (err instanceof FileInvalid) throw err;
    const e = err as { message?: string; records?: number; cause?: unknown };
    if (e.cause instanceof FileInvalid) throw e.cause;
    throw new FileInvalid(`not a CSV file: ${e.message ?? 'unreadable'}`, (e.records ?? 0) + 1);
  }
}

// Without a header, a missing value is the row's own fault (reported with its field), not the file's.
async function* ndjsonRows(body: Readable): AsyncGenerator<RawRow> {
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    n += 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new FileInvalid(`row ${n} is not JSON (NDJSON: one JSON object a line)`, n);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FileInvalid(`row ${n} is not a JSON object`, n);
    yield value as RawRow;
  }
}
