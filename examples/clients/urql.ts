// urql (@urql/core, the framework-free client under urql's React, Vue and Svelte bindings).
// urql sends queries as GET by default, with no content type: the gateway's CSRF prevention
// refuses those. preferGetMethod: false sends every operation as a JSON POST instead.
import { Client, cacheExchange, fetchExchange } from '@urql/core';
import { AffordableRewardsDocument } from './generated/graphql';

export function createLoyaltyClient(url: string, token?: string): Client {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return new Client({
    url,
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: false,
    fetchOptions: { headers },
  });
}

/** Rewards in the coalition's catalog the member has the points for, from every partner. */
export async function affordableRewards(client: Client, memberId: string) {
  const result = await client.query(AffordableRewardsDocument, { memberId, first: 20 }).toPromise();
  if (result.error) throw result.error;
  return result.data?.catalog.edges.map((e) => e.node) ?? [];
}
