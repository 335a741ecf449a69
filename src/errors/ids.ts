import { badInput } from './domain-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isId(value: string): boolean {
  return UUID.test(value);
}

/** Ids are UUIDs; anything else is a client mistake named by field, never a SQL error. */
export function requireId(value: string, field: string): string {
  if (!UUID.test(value)) throw badInput(field, `"${value.slice(0, 64)}" is not a valid id`);
  return value.toLowerCase();
}
