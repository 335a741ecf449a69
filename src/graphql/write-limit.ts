// Write rate limits at the GraphQL edge: every mutation root field counts once against the
// caller's budget, checked after validation and before anything executes, outside any database
// transaction the mutation will open.
import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { DomainError, serviceUnavailable } from '../errors/domain-error';
import { isConnectionError } from '../db/connection-errors';
import type { Context } from './context';
import { domainToGraphQLError } from './errors';

/** Root fields of a mutation (aliases and fragments included): `{ a: earnPoints … b: earnPoints … }` is two writes. */
export function mutationFieldCount(operation: OperationDefinitionNode, document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const count = (set: SelectionSetNode, seen: Set<string>): number =>
    set.selections.reduce((n, s) => {
      if (s.kind === Kind.FIELD) return n + (s.name.value === '__typename' ? 0 : 1);
      if (s.kind === Kind.INLINE_FRAGMENT) return n + count(s.selectionSet, seen);
      const fragment = fragments.get(s.name.value);
      if (!fragment || seen.has(s.name.value)) return n;
      return n + count(fragment.selectionSet, new Set(seen).add(s.name.value));
    }, 0);
  return count(operation.selectionSet, new Set());
}

/**
 * HTTP: a mutation over the limit is answered 429 as a whole, before any resolver runs.
 * consumeWrites charges the operation's caller (the rate-limit service, wired by the server).
 */
export function writeRateLimitPlugin(consumeWrites: (context: Context, writes: number) => Promise<void>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          try {
            await consumeWrites(contextValue, mutationFieldCount(operation, document));
          } catch (err) {
            // The counters live in PostgreSQL: while it is away, a retryable 503 rather than a 500.
            const domain = err instanceof DomainError ? err : isConnectionError(err) ? serviceUnavailable() : null;
            throw domain ? domainToGraphQLError(domain) : err;
          }
        },
      };
    },
  };
}
