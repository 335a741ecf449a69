// Decimal: exact money and rates cross the wire as strings ("12.50"), never as floats.
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
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
