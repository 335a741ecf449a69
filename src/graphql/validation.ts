// Validation rules applied on top of GraphQL's own, identically over HTTP and WebSocket: the query
// limits (depth, aliases, directives and cost here; tokens while parsing, see parseLimited) and the
// page-size cap. A document over a limit is refused before anything executes.
import { GraphQLError, Kind, ValidationContext, ValidationRule, parse } from 'graphql';
import type { DocumentNode, ParseOptions } from 'graphql';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { QueryLimits } from '../config';
import { ErrorCode } from '../errors/domain-error';
import { MAX_PAGE_SIZE } from '../db/pagination';
import { costLimitRule } from './cost-limit.rule';

export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';
export type QueryLimit = 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost' | 'objects';

/** A validation error that carries its own code (Apollo would otherwise label it GRAPHQL_VALIDATION_FAILED). */
export class CodedValidationError extends GraphQLError {}

export function queryLimitError(limit: QueryLimit, message: string, max: number): CodedValidationError {
  return new CodedValidationError(message, { extensions: { code: QUERY_TOO_COMPLEX, limit, max } });
}

/** graphql-armor reports through callbacks; ours put a coded error into the validation result. */
function armorReport(limit: QueryLimit, max: number) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(queryLimitError(limit, error.message.replace(/^Syntax Error: /, ''), max)),
    ],
  };
}

/** A literal `first` over the cap is refused here; one passed as a variable by PageArgs' @Max, before its resolver runs. */
const pageSizeCapRule: ValidationRule = (context) => ({
  Argument(node) {
    if (node.name.value !== 'first' || node.value.kind !== Kind.INT) return;
    const value = Number(node.value.value);
    if (value < 0 || value > MAX_PAGE_SIZE) {
      context.reportError(
        new CodedValidationError(`first: must be from 0 to ${MAX_PAGE_SIZE}, got ${value}`, {
          nodes: [node],
          extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'first' },
        }),
      );
    }
  },
});

export function extraValidationRules(limits: QueryLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, ...armorReport('depth', limits.maxDepth) }),
    maxAliasesRule({ n: limits.maxAliases, ...armorReport('aliases', limits.maxAliases) }),
    maxDirectivesRule({ n: limits.maxDirectives, ...armorReport('directives', limits.maxDirectives) }),
    costLimitRule(limits.maxCost, (context, cost) =>
      context.reportError(queryLimitError('cost', `Query cost limit of ${limits.maxCost} exceeded, found ${cost}.`, limits.maxCost)),
    ),
    pageSizeCapRule,
  ];
}

/** For Apollo's parseOptions: graphql-js stops parsing past maxTokens (before spending memory on the rest). */
export function parseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/** graphql-js's own token-limit error, recognised so it gets the same code as the other limits. */
export function asTokenLimitError(error: GraphQLError, limits: QueryLimits): CodedValidationError | null {
  if (!/^Syntax Error: Document contains more th(?:an|at) \d+ tokens/.test(error.message)) return null;
  return queryLimitError('tokens', `Token limit of ${limits.maxTokens} exceeded.`, limits.maxTokens);
}

/** The WebSocket side's parse, with the same token limit and codes as Apollo's. */
export function parseLimited(query: string, limits: QueryLimits): DocumentNode | GraphQLError {
  try {
    return parse(query, parseOptions(limits));
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    return (
      asTokenLimitError(err, limits) ??
      new GraphQLError(err.message, { source: err.source, positions: err.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })
    );
  }
}

/** "Did you mean …?" names fields and types: without introspection, it must not leak them either. */
export function withoutSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '');
}
