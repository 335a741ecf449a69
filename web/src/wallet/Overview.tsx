import { useQuery } from '@apollo/client/react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDate, formatPoints } from '../lib/format';
import { useLiveMember } from '../lib/live';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';

const WalletOverview = graphql(`
  query WalletOverview($memberId: ID!) {
    member(id: $memberId) {
      id
      displayName
      cardNumber
      status
      balance {
        available
        pending
        lifetimeEarned
        qualifyingPoints
      }
      tier {
        id
        name
        rank
      }
      nextTier {
        id
        name
        qualifyingPoints
      }
      pointsToNextTier
      expiringPoints(withinDays: 90) {
        points
        expiresAt
      }
    }
  }
`);

export function Overview({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const { data, error, loading, refetch } = useQuery(WalletOverview, { variables: { memberId } });
  // Expiring lots change with each earn or spend: re-read them when an event arrives.
  const live = useLiveMember(memberId, () => void refetch());
  const m = data?.member;
  if (loading && !m) return <Loading />;
  if (!m) return <ApiError error={error} />;
  const target = m.nextTier?.qualifyingPoints ?? 0;
  const progress = m.nextTier && target > 0 ? Math.min(100, Math.round((m.balance.qualifyingPoints / target) * 100)) : 100;
  return (
    <>
      <ApiError error={error} />
      <Section title={t('wallet.hello', { name: m.displayName })}>
        <p className={`live ${live.state}`} role="status" data-testid="live-state">
          {t(`wallet.live.${live.state}`)}
        </p>
        <div className="balance">
          <span className="big" data-testid="balance">
            {formatPoints(m.balance.available)}
          </span>{' '}
          <span>{t('common.points')}</span>
        </div>
        <dl className="facts">
          <dt>{t('wallet.pending')}</dt>
          <dd>{formatPoints(m.balance.pending)}</dd>
          <dt>{t('wallet.lifetime')}</dt>
          <dd>{formatPoints(m.balance.lifetimeEarned)}</dd>
          <dt>{t('wallet.card')}</dt>
          <dd className="mono">{m.cardNumber.replace(/(\d{4})(?=\d)/g, '$1 ')}</dd>
        </dl>
      </Section>
      <Section title={t('wallet.tier')}>
        <p>
          <strong data-testid="tier">{m.tier.name}</strong>
          {m.nextTier && m.pointsToNextTier != null && <> — {t('wallet.toNextTier', { points: formatPoints(m.pointsToNextTier), tier: m.nextTier.name })}</>}
        </p>
        <div className="progress" role="progressbar" aria-label={t('wallet.tierProgress')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress}>
          <div style={{ width: `${progress}%` }} />
        </div>
      </Section>
      <Section title={t('wallet.expiring')}>
        {m.expiringPoints.length === 0 ? (
          <p>{t('wallet.nothingExpiring')}</p>
        ) : (
          <ul>
            {m.expiringPoints.map((e) => (
              <li key={e.expiresAt}>{t('wallet.expiresOn', { points: formatPoints(e.points), date: formatDate(e.expiresAt) })}</li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}
