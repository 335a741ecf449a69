// What a reward may look like, checked before anything is written so a bad input names its field
// (the table's CHECK constraints say the same or less; these give the client a readable answer).
import { requireText } from '../../errors/text';
import { badInput } from '../../errors/domain-error';
import { requireId } from '../../errors/ids';
import { MAX_POINTS_PER_TRANSACTION } from '../ledger/transaction-limit';

/** A redemption of one unit is one transaction: it may not cost more than a transaction moves. */
export const MAX_POINTS_COST = MAX_POINTS_PER_TRANSACTION;
export const MAX_STOCK = 1_000_000_000;
export const MAX_SEARCH_LENGTH = 255;

export interface RewardFields {
  name: string;
  pointsCost: number;
  active: boolean;
  /** undefined: keep the current value (on update) or none (on create); null: clear it. */
  description?: string | null;
  category?: string | null;
  stock?: number | null;
  minTierId?: string | null;
  validDays?: number | null;
}

export interface RewardFieldsInput {
  name: string;
  pointsCost: number;
  active?: boolean | null;
  description?: string | null;
  category?: string | null;
  stock?: number | null;
  minTierId?: string | null;
  validDays?: number | null;
}

export const MAX_VALID_DAYS = 3650;

function intBetween(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`);
  }
  return value;
}

export function validRewardFields(input: RewardFieldsInput): RewardFields {
  const name = requireText(input.name.trim(), 'input.name');
  if (name.length < 1 || name.length > 255) throw badInput('input.name', 'must be 1 to 255 characters');
  const fields: RewardFields = {
    name,
    pointsCost: intBetween(input.pointsCost, 1, MAX_POINTS_COST, 'input.pointsCost'),
    active: input.active ?? true,
  };
  if (input.description !== undefined) {
    // A blank description is no description.
    const description = input.description ? requireText(input.description.trim(), 'input.description') || null : null;
    if (description !== null && description.length > 2000) throw badInput('input.description', 'must be at most 2000 characters');
    fields.description = description;
  }
  if (input.category !== undefined) {
    const category = input.category === null ? null : requireText(input.category.trim(), 'input.category');
    if (category !== null && (category.length < 1 || category.length > 64)) {
      throw badInput('input.category', 'must be 1 to 64 characters (or null for none)');
    }
    fields.category = category;
  }
  if (input.stock !== undefined) {
    fields.stock = input.stock === null ? null : intBetween(input.stock, 0, MAX_STOCK, 'input.stock');
  }
  if (input.minTierId !== undefined) {
    fields.minTierId = input.minTierId === null ? null : requireId(input.minTierId, 'input.minTierId');
  }
  if (input.validDays !== undefined) {
    fields.validDays = input.validDays === null ? null : intBetween(input.validDays, 1, MAX_VALID_DAYS, 'input.validDays');
  }
  return fields;
}

/** A search term as a LIKE pattern matching it literally anywhere: % and _ are not wildcards here. */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
