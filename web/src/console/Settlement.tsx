// Settlement for a period: per partner what it issued and had redeemed and the money both ways,
// and the issuer → redeemer matrix as a heatmap. The lines download as CSV.
import { useQuery } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatMoney, formatPoints } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Chart } from '../ui/Chart';
import { Loading, Section } from '../ui/Shell';
import { downloadText } from '../wallet/MyData';
import { Statements } from './Statements';

const SettlementQuery = graphql(`
  query ConsoleSettlement($from: DateTime!, $to: DateTime!) {
    settlement(from: $from, to: $to) {
      partner {
        id
        slug
        name
      }
      pointsIssued
      pointsRedeemed
      pointsExpired
      owedByPartner {
        amount
        currencyCode
      }
      owedToPartner {
        amount
        currencyCode
      }
      net {
        amount
        currencyCode
      }
    }
    settlementMatrix(from: $from, to: $to) {
      issuer {
        id
        name
      }
      redeemer {
        id
        name
      }
      points
      value {
        amount
        currencyCode
      }
    }
  }
`);

const day = (d: Date) => d.toISOString().slice(0, 10);

export function Settlement() {
  const { t } = useTranslation();
  const now = new Date();
  const [from, setFrom] = useState(day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))));
  const [to, setTo] = useState(day(new Date(now.getTime() + 86_400_000)));
  const period = { from: new Date(`${from}T00:00:00Z`).toISOString(), to: new Date(`${to}T00:00:00Z`).toISOString() };
  const { data, error, loading } = useQuery(SettlementQuery, { variables: period, skip: !from || !to });
  const option = useMemo(() => {
    const flows = data?.settlementMatrix ?? [];
    // Every partner on both axes, so an empty cell reads as "nothing flowed", not as missing.
    const everyone = (data?.settlement ?? []).map((l) => l.partner.name);
    const issuers = [...new Set([...everyone, ...flows.map((f) => f.issuer?.name ?? '—')])];
    const redeemers = [...new Set([...everyone, ...flows.map((f) => f.redeemer.name)])];
    const max = Math.max(1, ...flows.map((f) => f.points));
    return {
      tooltip: { position: 'top' },
      grid: { left: 160, right: 24, top: 32, bottom: 110 },
      xAxis: { type: 'category', data: redeemers, name: t('console.redeemer'), nameLocation: 'middle', nameGap: 30 },
      yAxis: { type: 'category', data: issuers, name: t('console.issuer') },
      visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
      series: [
        {
          type: 'heatmap',
          data: flows.map((f) => [redeemers.indexOf(f.redeemer.name), issuers.indexOf(f.issuer?.name ?? '—'), f.points]),
          label: { show: true },
        },
      ],
    };
  }, [data, t]);
  const csv = () => {
    const head = 'partner,points_issued,points_redeemed,points_expired,owed_by_partner,owed_to_partner,net,currency';
    const rows = (data?.settlement ?? []).map((l) =>
      [
        l.partner.slug,
        l.pointsIssued,
        l.pointsRedeemed,
        l.pointsExpired,
        l.owedByPartner.amount,
        l.owedToPartner.amount,
        l.net.amount,
        l.net.currencyCode,
      ].join(','),
    );
    downloadText(`settlement-${from}-${to}.csv`, [head, ...rows].join('\n') + '\n', 'text/csv');
  };
  return (
    <>
      <Section title={t('console.tab.settlement')} scroll>
        <div className="row">
          <label>
            {t('console.from')}
            <input type="date" name="from" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label>
            {t('console.to')}
            <input type="date" name="to" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="button" className="secondary" onClick={csv} disabled={!data}>
            {t('console.downloadCsv')}
          </button>
        </div>
        <ApiError error={error} />
        {loading && !data && <Loading />}
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.partner')}</th>
              <th scope="col">{t('console.issued')}</th>
              <th scope="col">{t('console.redeemed')}</th>
              <th scope="col">{t('console.owedBy')}</th>
              <th scope="col">{t('console.owedTo')}</th>
              <th scope="col">{t('console.net')}</th>
            </tr>
          </thead>
          <tbody>
            {data?.settlement.map((l) => (
              <tr key={l.partner.id}>
                <td>{l.partner.name}</td>
                <td className="num">{formatPoints(l.pointsIssued)}</td>
                <td className="num">{formatPoints(l.pointsRedeemed)}</td>
                <td className="num">{formatMoney(l.owedByPartner.amount, l.owedByPartner.currencyCode)}</td>
                <td className="num">{formatMoney(l.owedToPartner.amount, l.owedToPartner.currencyCode)}</td>
                <td className="num">{formatMoney(l.net.amount, l.net.currencyCode)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t('console.matrix')}>
        {data && (
          <Chart
            option={option}
            label={t('console.matrix')}
            points={data.settlementMatrix.map((f) => ({ issuer: f.issuer?.name ?? null, redeemer: f.redeemer.name, points: f.points }))}
            height={320}
          />
        )}
      </Section>
      <Statements from={period.from} to={period.to} />
    </>
  );
}
