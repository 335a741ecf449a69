// A partner's exchange rates: every version on a chart (a step line: each holds from its
// effectiveFrom until the next), the version in force, and a form for a new one, dated now or
// later (a future-dated version applies only from then).
import { useMutation, useQuery } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime, formatDecimal } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Chart } from '../ui/Chart';
import { Loading, Section } from '../ui/Shell';
import { PartnerPicker } from './PartnerPicker';
import { usePartners } from './usePartners';

const RateHistory = graphql(`
  query ConsoleRateHistory($id: ID!) {
    partner(id: $id) {
      id
      name
      currencyCode
      exchangeRate {
        id
        version
      }
      exchangeRateHistory {
        id
        version
        earnRate
        burnRate
        effectiveFrom
        createdAt
      }
    }
  }
`);

const SetRate = graphql(`
  mutation ConsoleSetRate($input: SetExchangeRateInput!) {
    setExchangeRate(input: $input) {
      id
      version
      earnRate
      burnRate
      effectiveFrom
    }
  }
`);

export function Rates() {
  const { t } = useTranslation();
  const { partners } = usePartners();
  const [picked, setPicked] = useState('');
  const partnerId = picked || partners.find((p) => !p.isCoalition)?.id || '';
  const { data, error, loading, refetch } = useQuery(RateHistory, { variables: { id: partnerId }, skip: !partnerId });
  const [form, setForm] = useState({ earnRate: '', burnRate: '', effectiveFrom: '' });
  const [setRate, rateSet] = useMutation(SetRate);
  const p = data?.partner;
  const history = useMemo(() => [...(p?.exchangeRateHistory ?? [])].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom)), [p]);
  const option = useMemo(() => {
    // Numbers for drawing only: the exact decimals are in the table and the tooltip's source.
    const last = history.at(-1);
    const end = last ? new Date(Math.max(Date.now(), Date.parse(last.effectiveFrom)) + 7 * 86_400_000).toISOString() : undefined;
    const line = (key: 'earnRate' | 'burnRate') => [
      ...history.map((r) => [r.effectiveFrom, Number(r[key])]),
      ...(last && end ? [[end, Number(last[key])]] : []),
    ];
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: [t('console.earnRate'), t('console.burnRate')] },
      grid: { left: 56, right: 56, top: 56, bottom: 32 },
      xAxis: { type: 'time' },
      yAxis: [
        { type: 'value', name: t('console.earnRate') },
        { type: 'value', name: t('console.burnRate') },
      ],
      series: [
        { name: t('console.earnRate'), type: 'line', step: 'end', data: line('earnRate'), yAxisIndex: 0 },
        { name: t('console.burnRate'), type: 'line', step: 'end', data: line('burnRate'), yAxisIndex: 1 },
      ],
    };
  }, [history, t]);
  return (
    <>
      <Section title={t('console.rates')}>
        <PartnerPicker value={partnerId} onChange={setPicked} />
        <ApiError error={error} />
        {loading && !p && <Loading />}
        {p && (
          <>
            <Chart
              option={option}
              label={t('console.rateChart', { name: p.name })}
              points={history.map((r) => ({ version: r.version, effectiveFrom: r.effectiveFrom, earnRate: r.earnRate, burnRate: r.burnRate }))}
            />
            <table>
              <caption className="sr-only">{t('console.rateChart', { name: p.name })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('console.version')}</th>
                  <th scope="col">{t('console.effectiveFrom')}</th>
                  <th scope="col">{t('console.earnRate')}</th>
                  <th scope="col">{t('console.burnRate')}</th>
                  <th scope="col">{t('common.status')}</th>
                </tr>
              </thead>
              <tbody>
                {[...history].reverse().map((r) => (
                  <tr key={r.id} data-version={r.version}>
                    <td>{r.version}</td>
                    <td>{formatDateTime(r.effectiveFrom)}</td>
                    <td className="num">{formatDecimal(r.earnRate)}</td>
                    <td className="num">
                      {formatDecimal(r.burnRate)} {p.currencyCode}
                    </td>
                    <td>
                      {r.id === p.exchangeRate?.id ? (
                        <span className="badge">{t('console.inForce')}</span>
                      ) : Date.parse(r.effectiveFrom) > Date.now() ? (
                        <span className="badge future">{t('console.scheduled')}</span>
                      ) : (
                        <span className="muted">{t('console.past')}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Section>
      {p && (
        <Section title={t('console.newRate')}>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              void setRate({
                variables: {
                  input: {
                    partnerId,
                    earnRate: form.earnRate.trim(),
                    burnRate: form.burnRate.trim(),
                    // datetime-local is the user's local time; the API takes an instant.
                    effectiveFrom: form.effectiveFrom ? new Date(form.effectiveFrom).toISOString() : undefined,
                  },
                },
              })
                .then(() => refetch())
                .catch(() => undefined);
            }}
          >
            <label>
              {t('console.earnRateHelp')}
              <input name="earnRate" inputMode="decimal" value={form.earnRate} onChange={(e) => setForm({ ...form, earnRate: e.target.value })} />
            </label>
            <label>
              {t('console.burnRateHelp', { currency: p.currencyCode })}
              <input name="burnRate" inputMode="decimal" value={form.burnRate} onChange={(e) => setForm({ ...form, burnRate: e.target.value })} />
            </label>
            <label>
              {t('console.effectiveFromHelp')}
              <input
                name="effectiveFrom"
                type="datetime-local"
                value={form.effectiveFrom}
                onChange={(e) => setForm({ ...form, effectiveFrom: e.target.value })}
              />
            </label>
            <button type="submit">{t('console.setRate')}</button>
          </form>
          <ApiError error={rateSet.error} />
          {rateSet.data && (
            <p role="status" className="ok" data-testid="rate-set">
              {t('console.rateSet', { version: rateSet.data.setExchangeRate.version, date: formatDateTime(rateSet.data.setExchangeRate.effectiveFrom) })}
            </p>
          )}
        </Section>
      )}
    </>
  );
}
