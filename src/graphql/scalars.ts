// Decimal: exact money and rates cross the wire as strings ("12.50"), never as floats.
// Points64: points totals that may pass GraphQL Int, as strings ("2147483648").
import { GraphQLError, GraphQLScalarType, GraphQLSchema, Kind, getNamedType, isObjectType } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';

const DECIMAL = /^[+-]?\d{1,40}(\.\d{1,40})?$/;

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string') {
    throw new GraphQLError('Decimal must be a string such as "12.50" (numbers would lose exactness)');
  }
  const trimmed = value.trim();
  if (!DECIMAL.test(trimmed)) throw new GraphQLError(`"${value}" is not a decimal number such as "12.50"`);
  return trimmed;
}

export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'Exact decimal as a string, e.g. "12.50"',
  serialize: (value) => {
    if (typeof value === 'string') return value;
    // Guard against a float sneaking out of the code: money never leaves as a JS number.
    throw new GraphQLError('Decimal can only serialize strings');
  },
  parseValue: parseDecimal,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING) return parseDecimal(ast.value);
    throw new GraphQLError('Decimal must be a string such as "12.50"');
  },
});

export const DateTimeScalar = GraphQLDateTime;

const WHOLE = /^-?\d{1,19}$/;

function parsePoints64(value: unknown): number {
  const n = typeof value === 'string' && WHOLE.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new GraphQLError('Points64 must be a string of digits such as "2147483648"');
  return n;
}

/**
 * Sums of points over time (lifetime, settlement) outgrow GraphQL Int's 2^31 − 1 even though no
 * single transaction comes near it; their `…64` twins carry them as strings, exactly, the way
 * Decimal carries money. Points are held as 64-bit integers (exact in JS below 2^53).
 */
/** The description of `<field>64`, the Points64 twin of an Int total. */
export const twinOf = (field: string) => `${field} as Points64: always holds it (${field} itself answers INT_OVERFLOW once past 2147483647)`;

export const Points64Scalar = new GraphQLScalarType<number, string>({
  name: 'Points64',
  description:
    'A whole number of points as a decimal string, e.g. "2147483648": for totals that can pass GraphQL Int (2147483647). Each Int total that can grow that large has a …64 twin of this type.',
  serialize: (value) => {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value === 'bigint') return value.toString();
    throw new GraphQLError('Points64 can only serialize whole numbers');
  },
  parseValue: parsePoints64,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING) return parsePoints64(ast.value);
    throw new GraphQLError('Points64 must be a string of digits such as "2147483648"');
  },
});

/** Names of the Int fields that have a `<name>64` Points64 twin on their type. */
export function points64Twins(schema: GraphQLSchema): ReadonlySet<string> {
  const names = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const [name, field] of Object.entries(fields)) {
      const twin = fields[`${name}64`];
      if (getNamedType(field.type).name === 'Int' && twin && getNamedType(twin.type) === Points64Scalar) names.add(name);
    }
  }
  return names;
}
