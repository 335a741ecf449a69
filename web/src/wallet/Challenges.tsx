import { useQuery } from '@apollo/client/react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDate, formatDecimal, formatPoints } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';

const WalletChallenges = graphql(`
  query WalletChallenges($memberId: ID!) {
    member(id: $memberId) {
      id
      challenges {
        progress
        target
        completedAt
        windowStart
        challenge {
          id
          name
          bonusPoints
          badgeName
        }
      }
      badges {
        name
        awardedAt
        challenge {
          id
        }
      }
    }
  }
`);

export function Challenges({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useQuery(WalletChallenges, { variables: { memberId } });
  const m = data?.member;
  return (
    <>
      <Section title={t('wallet.challenges')}>
        <ApiError error={error} />
        {loading && !m && <Loading />}
        <ul>
          {m?.challenges.map((c) => {
            const pct = Math.min(100, Math.round((Number(c.progress) / Math.max(1, Number(c.target))) * 100));
            return (
              <li key={`${c.challenge.id}-${c.windowStart}`}>
                <p>
                  <strong>{c.challenge.name}</strong> — {formatDecimal(c.progress)} / {formatDecimal(c.target)}{' '}
                  <span className="muted">{t('wallet.bonus', { points: formatPoints(c.challenge.bonusPoints), badge: c.challenge.badgeName })}</span>
                </p>
                <div className="progress" role="progressbar" aria-label={c.challenge.name} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
                  <div style={{ width: `${pct}%` }} />
                </div>
              </li>
            );
          })}
        </ul>
        {m && m.challenges.length === 0 && <p>{t('wallet.noChallenges')}</p>}
      </Section>
      <Section title={t('wallet.badges')}>
        {m && m.badges.length === 0 && <p>{t('wallet.noBadges')}</p>}
        <ul>
          {m?.badges.map((b) => (
            <li key={`${b.challenge.id}-${b.awardedAt}`}>
              🏅 {b.name} <span className="muted">{formatDate(b.awardedAt)}</span>
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}
