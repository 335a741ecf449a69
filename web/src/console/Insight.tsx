// The program's metrics over time, coalition-wide or for one partner: one programMetrics per
// month (aliases in one request) drawn as charts, and the last period as numbers. Needs the
// insight API; without it, says so.
import { useQuery } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDecimal, formatPoints } from '../lib/format';
import { isMissingApi, optionalDocument, type MoneyV } from '../lib/optional-api';
import { ApiError } from '../ui/ApiError';
import { Chart } from '../ui/Chart';
import { NotServed } from '../ui/NotServed';
import { Loading, Section } from '../ui/Shell';
import { PartnerPicker } from './PartnerPicker';

interface Metrics {
  from: string;
  members: number;
  activeMembers: number;
  newMembers: number;
  retentionRate: string | null;
  churnRate: string | null;
  redemptionRate: string | null;
  crossPartnerRate: string | null;
  repeatPurchaseRate: string | null;
  netPromoterScore: string | null;
  pointsIssued: number;
  pointsRedeemed: number;
  pointsExpired: number;
  pointsOutstanding: number;
  customerLifetimeValue: MoneyV[];
}

const FIELDS =
  'from members activeMembers newMembers retentionRate churnRate redemptionRate crossPartnerRate repeatPurchaseRate netPromoterScore pointsIssued pointsRedeemed pointsExpired pointsOutstanding customerLifetimeValue { amount currencyCode }';
const PERIODS_CHOICES = [3, 6, 12] as const;

function metricsDocument(n: number) {
  const vars = Array.from({ length: n }, (_, i) => `$f${i}: DateTime!, $t${i}: DateTime!`).join(', ');
  const fields = Array.from({ length: n }, (_, i) => `m${i}: programMetrics(from: $f${i}, to: $t${i}, partnerId: $p) { ${FIELDS} }`).join('\n');
  return optionalDocument<Record<string, Metrics>, Record<string, string | null>>(`query ConsoleProgramMetrics(${vars}, $p: ID) {\n${fields}\n}`);
}

const Surveys = optionalDocument<
  { surveys: { id: string; kind: string; question: string; bonusPoints: number; active: boolean; partner: { name: string } | null }[] },
  { p: string | null }
>('query ConsoleSurveys($p: ID) { surveys(partnerId: $p) { id kind question bonusPoints active partner { name } } }');

/** The last `n` months (UTC), the current one up to the end of today: programMetrics takes whole UTC days only. */
function months(n: number): { from: string; to: string }[] {
  const now = new Date();
  const endOfToday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  return Array.from({ length: n }, (_, i) => {
    const k = n - 1 - i;
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1));
    const to = k === 0 ? endOfToday : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k + 1, 1));
    return { from: from.toISOString(), to: to.toISOString() };
  });
}

export function Insight() {
  const { t } = useTranslation();
  const [partnerId, setPartnerId] = useState('');
  const [n, setN] = useState<number>(6);
  const periods = useMemo(() => months(n), [n]);
  const doc = useMemo(() => metricsDocument(n), [n]);
  const variables = useMemo(() => {
    const v: Record<string, string | null> = { p: partnerId || null };
    periods.forEach((p, i) => {
      v[`f${i}`] = p.from;
      v[`t${i}`] = p.to;
    });
    return v;
  }, [periods, partnerId]);
  const { data, error, loading } = useQuery(doc, { variables });
  const surveys = useQuery(Surveys, { variables: { p: partnerId || null } });
  const series = periods.map((_, i) => data?.[`m${i}`]).filter((m): m is Metrics => !!m);
  const labels = periods.map((p) => p.from.slice(0, 7));
  const rate = (v: string | null) => (v === null ? null : Number(v) * 100);
  const members = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 48, bottom: 32 },
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value' },
      series: [
        { name: t('console.metric.members'), type: 'line', data: series.map((m) => m.members) },
        { name: t('console.metric.active'), type: 'line', data: series.map((m) => m.activeMembers) },
        { name: t('console.metric.new'), type: 'line', data: series.map((m) => m.newMembers) },
      ],
    }),
    [series, labels, t],
  );
  const rates = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 48, bottom: 32 },
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value', name: '%' },
      series: [
        { name: t('console.metric.retention'), type: 'line', data: series.map((m) => rate(m.retentionRate)) },
        { name: t('console.metric.redemption'), type: 'line', data: series.map((m) => rate(m.redemptionRate)) },
        { name: t('console.metric.churn'), type: 'line', data: series.map((m) => rate(m.churnRate)) },
        { name: t('console.metric.crossPartner'), type: 'line', data: series.map((m) => rate(m.crossPartnerRate)) },
        { name: 'NPS', type: 'line', data: series.map((m) => (m.netPromoterScore === null ? null : Number(m.netPromoterScore))) },
      ],
    }),
    [series, labels, t],
  );
  if (error && isMissingApi(error)) {
    return (
      <Section title={t('console.tab.insight')}>
        <NotServed what={t('console.tab.insight')} />
      </Section>
    );
  }
  const last = series.at(-1);
  return (
    <>
      <Section title={t('console.tab.insight')}>
        <div className="row">
          <PartnerPicker value={partnerId} onChange={setPartnerId} />
          <label>
            {t('console.periods')}
            <select value={n} onChange={(e) => setN(Number(e.target.value))}>
              {PERIODS_CHOICES.map((c) => (
                <option key={c} value={c}>
                  {t('console.lastMonths', { n: c })}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ApiError error={error} />
        {loading && !data && <Loading />}
        {series.length > 0 && (
          <>
            <Chart
              option={members}
              label={t('console.metric.membersChart')}
              points={series.map((m) => ({ from: m.from, members: m.members, active: m.activeMembers }))}
            />
            <Chart
              option={rates}
              label={t('console.metric.ratesChart')}
              points={series.map((m) => ({ from: m.from, retention: m.retentionRate, redemption: m.redemptionRate }))}
            />
          </>
        )}
        {last && (
          <dl className="facts" data-testid="metrics">
            <dt>{t('console.metric.members')}</dt>
            <dd>{formatPoints(last.members)}</dd>
            <dt>{t('console.metric.active')}</dt>
            <dd>{formatPoints(last.activeMembers)}</dd>
            <dt>{t('console.issued')}</dt>
            <dd>{formatPoints(last.pointsIssued)}</dd>
            <dt>{t('console.redeemed')}</dt>
            <dd>{formatPoints(last.pointsRedeemed)}</dd>
            <dt>{t('console.metric.expired')}</dt>
            <dd>{formatPoints(last.pointsExpired)}</dd>
            <dt>{t('console.metric.outstanding')}</dt>
            <dd>{formatPoints(last.pointsOutstanding)}</dd>
            <dt>NPS</dt>
            <dd>{last.netPromoterScore === null ? '—' : formatDecimal(last.netPromoterScore)}</dd>
            <dt>{t('console.metric.repeat')}</dt>
            <dd>{last.repeatPurchaseRate === null ? '—' : `${formatDecimal(String(Number(last.repeatPurchaseRate) * 100))} %`}</dd>
          </dl>
        )}
      </Section>
      {!isMissingApi(surveys.error) && (
        <Section title={t('console.surveys')}>
          <ApiError error={surveys.error} />
          <ul>
            {surveys.data?.surveys.map((s) => (
              <li key={s.id}>
                <strong>{s.kind}</strong> {s.question}{' '}
                <span className="muted">
                  +{formatPoints(s.bonusPoints)} · {s.partner?.name ?? t('console.coalitionWide')}
                </span>
              </li>
            ))}
          </ul>
        </Section>
      )}
    </>
  );
}
