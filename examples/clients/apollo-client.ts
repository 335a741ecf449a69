// Apollo Client 4 (the framework-free core; React hooks are in @apollo/client/react) for a
// member's app. HttpLink POSTs JSON, which the gateway's CSRF prevention lets through as it is.
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { MemberDashboardDocument, RedeemRewardDocument } from './generated/graphql';

export function createLoyaltyClient(url: string, memberToken: string): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${memberToken}` } }),
    cache: new InMemoryCache({
      typePolicies: {
        // A balance has no id: it is part of its member. Merge what a mutation returns (often
        // just `available`) into the cached balance instead of replacing it, so the queries
        // that also read lifetimeEarned or pending stay complete.
        Balance: { merge: true },
        // Lists are Relay connections: pages fetched with `after` join one cached list.
        Member: { fields: { transactions: relayStylePagination(), redemptions: relayStylePagination() } },
        Query: { fields: { catalog: relayStylePagination(['filter']), partners: relayStylePagination() } },
      },
    }),
  });
}

/** The member's dashboard with its whole history, fetched `pageSize` transactions at a time. */
export async function loadDashboard(client: ApolloClient, memberId: string, pageSize = 20) {
  const first = await client.query({ query: MemberDashboardDocument, variables: { memberId, first: pageSize } });
  let page = first.data?.member?.transactions.pageInfo;
  while (page?.hasNextPage) {
    // network-only: the cached list answers any page, so ask the gateway for the next one;
    // relayStylePagination appends it to the cached list.
    const next = await client.query({
      query: MemberDashboardDocument,
      variables: { memberId, first: pageSize, after: page.endCursor },
      fetchPolicy: 'network-only',
    });
    page = next.data?.member?.transactions.pageInfo;
  }
  return client.readQuery({ query: MemberDashboardDocument, variables: { memberId, first: pageSize } })?.member ?? null;
}

/** Redeems a reward; the cached balance shows the new `available` at once. */
export async function redeem(client: ApolloClient, memberId: string, rewardId: string, idempotencyKey: string) {
  const { data } = await client.mutate({ mutation: RedeemRewardDocument, variables: { input: { memberId, rewardId, idempotencyKey } } });
  return data?.redeemReward ?? null;
}
