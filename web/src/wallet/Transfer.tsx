import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatPoints } from '../lib/format';
import { idempotencyKey } from '../lib/session';
import { ApiError } from '../ui/ApiError';
import { Section } from '../ui/Shell';

const WalletTransfer = graphql(`
  mutation WalletTransfer($input: TransferPointsInput!) {
    transferPoints(input: $input) {
      id
      points
      balanceAfter
      member {
        id
        balance {
          available
        }
      }
    }
  }
`);

export function Transfer({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const [to, setTo] = useState('');
  const [points, setPoints] = useState('');
  const [transfer, result] = useMutation(WalletTransfer);
  return (
    <Section title={t('wallet.tab.transfer')}>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void transfer({
            variables: { input: { fromMemberId: memberId, toMemberId: to.trim(), points: Number(points), idempotencyKey: idempotencyKey('wallet-transfer') } },
          }).catch(() => undefined);
        }}
      >
        <label>
          {t('wallet.recipient')}
          <input value={to} onChange={(e) => setTo(e.target.value)} autoComplete="off" />
        </label>
        <label>
          {t('common.points')}
          <input inputMode="numeric" value={points} onChange={(e) => setPoints(e.target.value)} />
        </label>
        <button type="submit">{t('wallet.send')}</button>
      </form>
      <ApiError error={result.error} />
      {result.data && (
        <p role="status" className="ok">
          {t('wallet.sent', { balance: formatPoints(result.data.transferPoints.balanceAfter) })}
        </p>
      )}
    </Section>
  );
}
