// Everything the program holds about the member, as the JSON document the API exports, saved as
// a file.
import { useLazyQuery } from '@apollo/client/react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { ApiError } from '../ui/ApiError';
import { Section } from '../ui/Shell';

const WalletExport = graphql(`
  query WalletExport($memberId: ID!) {
    exportMemberData(memberId: $memberId)
  }
`);

export function downloadText(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function MyData({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const [load, result] = useLazyQuery(WalletExport, { fetchPolicy: 'network-only' });
  return (
    <Section title={t('wallet.tab.data')}>
      <p>{t('wallet.dataIntro')}</p>
      <button
        type="button"
        onClick={() =>
          void load({ variables: { memberId } })
            .then((r) => r.data && downloadText(`my-loyalty-data-${memberId}.json`, r.data.exportMemberData))
            .catch(() => undefined)
        }
      >
        {t('wallet.download')}
      </button>
      {result.loading && <p role="status">{t('common.loading')}</p>}
      <ApiError error={result.error} />
    </Section>
  );
}
