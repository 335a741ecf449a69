import { badInput } from './domain-error';

/**
 * PostgreSQL text cannot hold NUL (U+0000): a string carrying one is the client's mistake, named
 * by field, not an INSERT that fails as an internal error.
 */
export function requireText(value: string, field: string): string {
  if (value.includes('\u0000')) throw badInput(field, 'must not contain NUL (\\u0000) characters');
  return value;
}
