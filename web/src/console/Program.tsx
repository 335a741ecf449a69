// The program's rules as they stand: tiers, earn rules, challenges, settings.
import { useQuery } from '@apollo/client/react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDecimal, formatPoints } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';

const ProgramQuery = graphql(`
  query ConsoleProgram {
    tiers {
      id
      name
      rank
      qualifyingPoints
      earnMultiplier
    }
    earnRules {
      id
      name
      kind
      active
      multiplier
      percent
      bonusPoints
      maxPoints
      partner {
        id
        name
      }
    }
    challenges {
      id
      name
      kind
      target
      bonusPoints
      badgeName
      windowDays
      active
    }
    programSettings {
      pointsExpireAfterMonths
      transferPointsPerMonth
      transfersPerMonth
      supportAdjustmentLimit
      maxPointsPaymentShare
      referralBonusPoints
      birthdayBonusPoints
    }
  }
`);

export function Program() {
  const { t } = useTranslation();
  const { data, error, loading } = useQuery(ProgramQuery);
  if (loading && !data) return <Loading />;
  return (
    <>
      <ApiError error={error} />
      <Section title={t('console.tiers')} scroll>
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('console.threshold')}</th>
              <th scope="col">{t('console.multiplier')}</th>
            </tr>
          </thead>
          <tbody>
            {data?.tiers.map((tier) => (
              <tr key={tier.id}>
                <td>{tier.name}</td>
                <td className="num">{formatPoints(tier.qualifyingPoints)}</td>
                <td className="num">×{formatDecimal(tier.earnMultiplier)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t('console.earnRules')}>
        {data?.earnRules.length === 0 && <p>{t('console.none')}</p>}
        <ul>
          {data?.earnRules.map((r) => (
            <li key={r.id}>
              <strong>{r.name}</strong> — {r.kind} {r.partner ? `(${r.partner.name})` : ''} {r.active ? '' : `· ${t('console.inactive')}`}
            </li>
          ))}
        </ul>
      </Section>
      <Section title={t('wallet.challenges')}>
        <ul>
          {data?.challenges.map((c) => (
            <li key={c.id}>
              <strong>{c.name}</strong> — {c.kind} {formatDecimal(c.target)} · +{formatPoints(c.bonusPoints)} · {c.badgeName}
            </li>
          ))}
        </ul>
      </Section>
      {data?.programSettings && (
        <Section title={t('console.settings')}>
          <dl className="facts">
            {Object.entries(data.programSettings)
              .filter(([k]) => k !== '__typename')
              .map(([k, v]) => (
                <div key={k}>
                  <dt className="mono">{k}</dt>
                  <dd>{v === null ? '—' : String(v)}</dd>
                </div>
              ))}
          </dl>
        </Section>
      )}
    </>
  );
}
