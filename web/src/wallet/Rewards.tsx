// The coalition's catalog, every partner's rewards in one list; by default only those the member
// can redeem now (`affordableFor`: points, tier, stock).
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatPoints } from '../lib/format';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';
import { Qr } from '../ui/Qr';

const WalletCatalog = graphql(`
  query WalletCatalog($filter: CatalogFilter) {
    catalog(filter: $filter, first: 50) {
      edges {
        node {
          id
          name
          description
          category
          pointsCost
          stock
          minTier {
            id
            name
          }
          partner {
            id
            name
          }
        }
      }
      totalCount
    }
  }
`);

const WalletRedeem = graphql(`
  mutation WalletRedeem($input: RedeemRewardInput!) {
    redeemReward(input: $input) {
      id
      code
      status
      pointsSpent
      createdAt
      expiresAt
      reward {
        id
        name
      }
      member {
        id
        balance {
          available
        }
      }
    }
  }
`);

export function Rewards({ memberId }: { memberId: string; onRedeemed?: () => void }) {
  const { t } = useTranslation();
  const [affordable, setAffordable] = useState(true);
  const { data, error, loading } = useQuery(WalletCatalog, { variables: { filter: affordable ? { affordableFor: memberId } : {} } });
  const [redeem, redeemed] = useMutation(WalletRedeem);
  const r = redeemed.data?.redeemReward;
  return (
    <>
      {r && (
        <Section title={t('wallet.yourCode')}>
          <div className="code-card" data-testid="new-code">
            <Qr value={r.code} label={t('wallet.qrOf', { code: r.code })} />
            <p className="mono big">{r.code}</p>
            <p>{r.reward.name}</p>
            <p className="muted">{t('wallet.showAtTill')}</p>
          </div>
        </Section>
      )}
      <ApiError error={redeemed.error} />
      <Section title={t('wallet.tab.rewards')}>
        <label className="check">
          <input type="checkbox" checked={affordable} onChange={(e) => setAffordable(e.target.checked)} /> {t('wallet.onlyAffordable')}
        </label>
        <ApiError error={error} />
        {loading && !data && <Loading />}
        <ul className="grid">
          {data?.catalog.edges.map(({ node }) => (
            <li key={node.id} className="reward">
              <h3>{node.name}</h3>
              <p className="muted">{node.partner.name}</p>
              {node.description && <p>{node.description}</p>}
              <p>
                <strong>{formatPoints(node.pointsCost)}</strong> {t('common.points')}
                {node.minTier && <span className="badge">{node.minTier.name}</span>}
              </p>
              <button
                type="button"
                aria-label={t('wallet.redeemThis', { name: node.name })}
                onClick={() =>
                  void redeem({ variables: { input: { memberId, rewardId: node.id, quantity: 1, idempotencyKey: idempotencyKey('wallet-redeem') } } }).catch(
                    () => undefined,
                  )
                }
              >
                {t('wallet.redeem')}
              </button>
            </li>
          ))}
        </ul>
        {data && data.catalog.edges.length === 0 && <p>{t('wallet.noRewards')}</p>}
      </Section>
    </>
  );
}
