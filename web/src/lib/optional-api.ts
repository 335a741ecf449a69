// Screens for APIs that a gateway may not serve yet (bulk imports and closed settlement periods,
// program insight): their documents are parsed here rather than generated, since the committed
// schema does not have them, and a gateway without them answers GRAPHQL_VALIDATION_FAILED
// ("Cannot query field …"), which these screens show as "not on this gateway yet" instead of an
// error.
import { CombinedGraphQLErrors, type TypedDocumentNode } from '@apollo/client';
import { parse } from 'graphql';
import { createContext } from 'react';

export function optionalDocument<R, V>(source: string): TypedDocumentNode<R, V> {
  return parse(source) as TypedDocumentNode<R, V>;
}

export function isMissingApi(error: unknown): boolean {
  return (
    CombinedGraphQLErrors.is(error) &&
    error.errors.some((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && /Cannot query field|Unknown type/.test(e.message))
  );
}

/** The signed-in credential, for the plain-HTTP file endpoints (uploads, CSV exports). */
export const CredentialContext = createContext<string | null>(null);

export interface MoneyV {
  amount: string;
  currencyCode: string;
}
