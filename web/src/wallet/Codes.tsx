// The member's redemption codes and their state. An ACTIVE code shows its QR code; the list is
// re-read every few seconds so a code the till just fulfilled shows as such.
import { useQuery } from '@apollo/client/react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime, formatPoints } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';
import { Qr } from '../ui/Qr';

const WalletCodes = graphql(`
  query WalletCodes($memberId: ID!) {
    member(id: $memberId) {
      id
      redemptions(first: 20) {
        edges {
          node {
            id
            code
            status
            pointsSpent
            createdAt
            expiresAt
            fulfilledAt
            reward {
              id
              name
              partner {
                id
                name
              }
            }
          }
        }
      }
    }
  }
`);

export function Codes({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useQuery(WalletCodes, { variables: { memberId }, pollInterval: 3000, fetchPolicy: 'network-only' });
  const rows = data?.member?.redemptions.edges ?? [];
  return (
    <Section title={t('wallet.tab.codes')}>
      <ApiError error={error} />
      {loading && !data && <Loading />}
      <ul className="grid">
        {rows.map(({ node }) => (
          <li key={node.id} className="reward" data-code={node.code} data-status={node.status}>
            <h3>{node.reward.name}</h3>
            <p className="muted">{node.reward.partner.name}</p>
            {node.status === 'ACTIVE' && <Qr value={node.code} label={t('wallet.qrOf', { code: node.code })} />}
            <p className="mono">{node.code}</p>
            <p>
              <span className={`badge status-${node.status}`}>{t(`redemptionStatus.${node.status}`)}</span> {formatPoints(node.pointsSpent)}{' '}
              {t('common.points')}
            </p>
            <p className="muted">
              {node.fulfilledAt
                ? t('wallet.fulfilledAt', { date: formatDateTime(node.fulfilledAt) })
                : node.expiresAt
                  ? t('wallet.expiresAt', { date: formatDateTime(node.expiresAt) })
                  : formatDateTime(node.createdAt)}
            </p>
          </li>
        ))}
      </ul>
      {data && rows.length === 0 && <p>{t('wallet.noCodes')}</p>}
    </Section>
  );
}
