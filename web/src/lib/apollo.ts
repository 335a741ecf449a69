// One Apollo Client per signed-in app: JSON POSTs to /graphql (what the gateway's CSRF prevention
// accepts as they are) and graphql-ws on the same URL for subscriptions, both with the bearer
// credential. The cache merges Balance (it has no id: it belongs to its Member) and joins Relay
// pages fetched with `after` into one list.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { relayStylePagination } from '@apollo/client/utilities';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient, type Client } from 'graphql-ws';

export interface LoyaltyClient {
  apollo: ApolloClient;
  ws: Client;
  dispose(): void;
}

export function graphqlUrl(): string {
  return new URL('/graphql', window.location.href).toString();
}

export function createLoyaltyClient(credential: string | null): LoyaltyClient {
  const authorization = credential ? `Bearer ${credential}` : undefined;
  const ws = createClient({
    url: graphqlUrl().replace(/^http/, 'ws'),
    connectionParams: authorization ? { authorization } : {},
    lazy: true,
    // No silent resubscription with the first `after`: the live hooks resubscribe themselves,
    // passing the last eventId they saw (see useLiveMember).
    retryAttempts: 0,
  });
  const http = new HttpLink({ uri: graphqlUrl(), headers: authorization ? { authorization } : {} });
  const link = ApolloLink.split(
    ({ query }) => {
      const def = getMainDefinition(query);
      return def.kind === 'OperationDefinition' && def.operation === 'subscription';
    },
    new GraphQLWsLink(ws),
    http,
  );
  const apollo = new ApolloClient({
    link,
    cache: new InMemoryCache({
      typePolicies: {
        Balance: { merge: true },
        Member: {
          fields: {
            transactions: relayStylePagination(),
            redemptions: relayStylePagination(),
          },
        },
        Query: { fields: { catalog: relayStylePagination(['filter']), partners: relayStylePagination(), auditLog: relayStylePagination(['filter']) } },
      },
    }),
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
  });
  return {
    apollo,
    ws,
    dispose() {
      void ws.dispose();
      apollo.stop();
    },
  };
}
