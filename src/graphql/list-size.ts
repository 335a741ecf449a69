// How big a list field can be, declared next to the field, for the cost limit (cost-limit.rule.ts)
// and the response budget (response-budget.ts). Every list field of the schema declares one; a
// test walks the schema to make sure (test/list-cost.test.ts).
import type { GraphQLField } from 'graphql';
import { Extensions } from 'type-graphql';

export type ListSize =
  /** At most `max` items, a bound the service enforces where the items are created. */
  | { max: number }
  /** Grows with history (rate versions, badges, settlement lines…): weighed by its real length as it resolves. */
  | { measured: true }
  /** A connection's edges: the connection's `first` already weighs them. */
  | { page: true };

const KEY = 'listSize';

/** Declares a list field's size: `@ListSize({ max: 50 })`. */
export function ListSize(size: ListSize): MethodDecorator & PropertyDecorator & ClassDecorator {
  return Extensions({ [KEY]: size });
}

export function listSizeOf(field: GraphQLField<unknown, unknown>): ListSize | undefined {
  return field.extensions?.[KEY] as ListSize | undefined;
}
