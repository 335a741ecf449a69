import { useQuery } from '@apollo/client/react';
import { graphql } from '../gql';

export const ConsolePartners = graphql(`
  query ConsolePartners {
    partners(first: 100) {
      edges {
        node {
          id
          slug
          name
          currencyCode
          status
          isCoalition
          exchangeRate {
            id
            version
            earnRate
            burnRate
            effectiveFrom
          }
        }
      }
    }
  }
`);

export function usePartners() {
  const result = useQuery(ConsolePartners);
  return { ...result, partners: result.data?.partners.edges.map((e) => e.node) ?? [] };
}
