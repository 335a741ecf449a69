// A redemption code shown by a member (typed, or scanned from the wallet's QR code): look it up,
// then fulfil it. Only codes of this partner's own rewards are found.
import { useLazyQuery, useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime, formatPoints } from '../lib/format';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { Section } from '../ui/Shell';

const TillCode = graphql(`
  query TillCode($code: String!) {
    redemptionByCode(code: $code) {
      id
      code
      status
      quantity
      pointsSpent
      expiresAt
      fulfilledAt
      reward {
        id
        name
      }
    }
  }
`);

const TillFulfil = graphql(`
  mutation TillFulfil($code: String!, $key: String!) {
    fulfillRedemption(code: $code, idempotencyKey: $key) {
      id
      status
      fulfilledAt
    }
  }
`);

export function CodePanel() {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const [lookUp, looked] = useLazyQuery(TillCode, { fetchPolicy: 'network-only' });
  const [fulfil, fulfilled] = useMutation(TillFulfil);
  const r = looked.data?.redemptionByCode ?? null;
  return (
    <Section title={t('till.fulfilCode')}>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void lookUp({ variables: { code } }).catch(() => undefined);
        }}
      >
        <label>
          {t('till.code')}
          <input name="code" autoComplete="off" value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        <button type="submit">{t('till.lookUp')}</button>
      </form>
      <ApiError error={looked.error} />
      {looked.called && !looked.loading && !looked.error && !r && <p role="status">{t('till.noCode')}</p>}
      {r && (
        <>
          <dl className="facts">
            <dt>{t('common.reward')}</dt>
            <dd>{r.reward.name}</dd>
            <dt>{t('common.quantity')}</dt>
            <dd>{r.quantity}</dd>
            <dt>{t('common.points')}</dt>
            <dd>{formatPoints(r.pointsSpent)}</dd>
            <dt>{t('common.status')}</dt>
            <dd data-testid="code-status">{t(`redemptionStatus.${r.status}`)}</dd>
            {r.expiresAt && (
              <>
                <dt>{t('common.expires')}</dt>
                <dd>{formatDateTime(r.expiresAt)}</dd>
              </>
            )}
          </dl>
          {r.status === 'ACTIVE' && (
            <button type="button" onClick={() => void fulfil({ variables: { code: r.code, key: idempotencyKey('till-fulfil') } }).catch(() => undefined)}>
              {t('till.fulfil')}
            </button>
          )}
        </>
      )}
      <ApiError error={fulfilled.error} />
      {fulfilled.data && (
        <p role="status" className="ok" data-testid="fulfilled">
          {t('till.fulfilled')}
        </p>
      )}
    </Section>
  );
}
