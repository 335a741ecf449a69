// Closed settlement periods: close [from, to) as an immutable statement, list the statements,
// download one as CSV (GET /exports/settlement/<id>.csv). Needs the bulk and finance API;
// without it, says so.
import { useMutation, useQuery } from '@apollo/client/react';
import { useContext, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatDateTime } from '../lib/format';
import { CredentialContext, isMissingApi, optionalDocument } from '../lib/optional-api';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { NotServed } from '../ui/NotServed';
import { Section } from '../ui/Shell';
import { downloadText } from '../wallet/MyData';

interface Statement {
  id: string;
  from: string;
  to: string;
  closedAt: string;
}
const StatementsQuery = optionalDocument<{ settlementStatements: { edges: { node: Statement }[] } }, Record<string, never>>(
  'query ConsoleStatements { settlementStatements(first: 24) { edges { node { id from to closedAt } } } }',
);
const ClosePeriod = optionalDocument<{ closeSettlementPeriod: Statement }, { from: string; to: string; key: string }>(
  'mutation ConsoleClosePeriod($from: DateTime!, $to: DateTime!, $key: String!) { closeSettlementPeriod(from: $from, to: $to, idempotencyKey: $key) { id from to closedAt } }',
);

export function Statements({ from, to }: { from: string; to: string }) {
  const { t } = useTranslation();
  const credential = useContext(CredentialContext);
  const { data, error, refetch } = useQuery(StatementsQuery);
  const [close, closed] = useMutation(ClosePeriod);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  if (error && isMissingApi(error)) {
    return (
      <Section title={t('console.statements')}>
        <NotServed what={t('console.statements')} />
      </Section>
    );
  }
  const csv = async (s: Statement) => {
    setDownloadError(null);
    const res = await fetch(`/exports/settlement/${encodeURIComponent(s.id)}.csv`, { headers: { authorization: `Bearer ${credential}` } });
    if (!res.ok) return setDownloadError(`HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    downloadText(`settlement-${s.from.slice(0, 10)}-${s.to.slice(0, 10)}.csv`, await res.text(), 'text/csv');
  };
  // closeSettlementPeriod refuses a period that ends in the future (BAD_USER_INPUT on to).
  const ended = Date.parse(to) <= Date.now();
  return (
    <Section title={t('console.statements')} scroll>
      <button
        type="button"
        disabled={!ended}
        aria-describedby={ended ? undefined : 'close-after-end'}
        onClick={() =>
          void close({ variables: { from, to, key: idempotencyKey('console-close') } })
            .then(() => refetch())
            .catch(() => undefined)
        }
      >
        {t('console.closePeriod', { from: formatDate(from), to: formatDate(to) })}
      </button>
      {!ended && (
        <p id="close-after-end" className="muted">
          {t('console.closeAfterEnd')}
        </p>
      )}
      <ApiError error={error ?? closed.error} />
      {downloadError && (
        <p role="alert" className="error">
          {downloadError}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('console.from')}</th>
            <th scope="col">{t('console.to')}</th>
            <th scope="col">{t('console.closedAt')}</th>
            <th scope="col">
              <span className="sr-only">{t('common.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data?.settlementStatements.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{formatDate(node.from)}</td>
              <td>{formatDate(node.to)}</td>
              <td>{formatDateTime(node.closedAt)}</td>
              <td>
                <button type="button" className="secondary" onClick={() => void csv(node)}>
                  {t('console.downloadCsv')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
