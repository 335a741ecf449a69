// Every movement of the member's points, newest first, the next page fetched as the list's end
// scrolls into view (relayStylePagination joins the pages in the cache).
import { useQuery } from '@apollo/client/react';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime, formatMoney, formatPoints } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';

const WalletHistory = graphql(`
  query WalletHistory($memberId: ID!, $after: String) {
    member(id: $memberId) {
      id
      transactions(first: 20, after: $after) {
        edges {
          cursor
          node {
            id
            type
            points
            balanceAfter
            createdAt
            partner {
              id
              name
            }
            purchase {
              amount
              currencyCode
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export function History({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const { data, error, loading, fetchMore } = useQuery(WalletHistory, { variables: { memberId }, fetchPolicy: 'network-only', nextFetchPolicy: 'cache-first' });
  const end = useRef<HTMLDivElement>(null);
  const page = data?.member?.transactions.pageInfo;
  const more = () => page?.hasNextPage && void fetchMore({ variables: { after: page.endCursor } });
  useEffect(() => {
    if (!end.current || !page?.hasNextPage) return;
    const seen = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && more());
    seen.observe(end.current);
    return () => seen.disconnect();
  });
  const rows = data?.member?.transactions.edges ?? [];
  return (
    <Section title={t('wallet.tab.history')} scroll>
      <ApiError error={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t('common.when')}</th>
            <th scope="col">{t('common.type')}</th>
            <th scope="col">{t('common.partner')}</th>
            <th scope="col">{t('common.points')}</th>
            <th scope="col">{t('common.balance')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ node }) => (
            <tr key={node.id}>
              <td>{formatDateTime(node.createdAt)}</td>
              <td>
                {t(`txType.${node.type}`, { defaultValue: node.type })}
                {node.purchase && <span className="muted"> · {formatMoney(node.purchase.amount, node.purchase.currencyCode)}</span>}
              </td>
              <td>{node.partner?.name ?? '—'}</td>
              <td className="num">{formatPoints(node.points)}</td>
              <td className="num">{formatPoints(node.balanceAfter)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {loading && <Loading />}
      <div ref={end} />
      {page?.hasNextPage && (
        <button type="button" className="secondary" onClick={more}>
          {t('common.more')}
        </button>
      )}
    </Section>
  );
}
