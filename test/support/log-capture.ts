// A gateway logger whose lines a test can read: what was logged at error level or above, so a
// test can check that a user's mistake is not reported as the server's.
import { createLogger, type Logger } from '../../src/logger';

export interface LogLine {
  level: number;
  msg?: string;
  [k: string]: unknown;
}

export interface CapturedLog {
  logger: Logger;
  lines: LogLine[];
  /** Lines at pino's error level (50) or above. */
  errors(): LogLine[];
}

export function captureLog(level = 'warn'): CapturedLog {
  const lines: LogLine[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, errors: () => lines.filter((l) => l.level >= 50) };
}
