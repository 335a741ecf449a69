// The member's wallet (/wallet#token=<member token>, e.g. a partner app's deep link): balance and
// tier live, history, expiring points, the catalog, codes, challenges, consents, transfer, data.
import { ApolloProvider, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { parseViewer } from '../lib/format';
import { useSignedInClient } from '../lib/useClient';
import { LiveContext } from '../lib/live';
import { ApiError } from '../ui/ApiError';
import { Loading, Shell } from '../ui/Shell';
import { CredentialForm } from '../ui/SignIn';
import { Overview } from './Overview';
import { History } from './History';
import { Rewards } from './Rewards';
import { Codes } from './Codes';
import { Challenges } from './Challenges';
import { Consents } from './Consents';
import { Transfer } from './Transfer';
import { MyData } from './MyData';
import { Surveys } from './Surveys';

const WalletViewer = graphql(`
  query WalletViewer {
    viewer
  }
`);

const TABS = ['overview', 'history', 'rewards', 'codes', 'challenges', 'surveys', 'consents', 'transfer', 'data'] as const;

function Wallet({ onSignOut }: { onSignOut: () => void }) {
  const { t } = useTranslation();
  const { data, error, loading } = useQuery(WalletViewer);
  const viewer = data ? parseViewer(data.viewer) : null;
  const memberId = viewer?.kind === 'member' ? viewer.ref : null;
  const [tab, setTab] = useState<string>('overview');
  const tabs = TABS.map((id) => ({ id, label: t(`wallet.tab.${id}`) }));
  return (
    <Shell title={t('wallet.title')} tabs={tabs} active={tab} onTab={setTab} onSignOut={onSignOut}>
      {loading && !data && <Loading />}
      <ApiError error={error} />
      {data && !memberId && (
        <p role="alert" className="error">
          {t('wallet.needsMemberToken')}
        </p>
      )}
      {memberId && (
        <>
          {/* The overview stays mounted (hidden) so its live subscription keeps the balance current. */}
          <div hidden={tab !== 'overview'}>
            <Overview memberId={memberId} />
          </div>
          {tab === 'history' && <History memberId={memberId} />}
          {tab === 'rewards' && <Rewards memberId={memberId} onRedeemed={() => setTab('codes')} />}
          {tab === 'codes' && <Codes memberId={memberId} />}
          {tab === 'challenges' && <Challenges memberId={memberId} />}
          {tab === 'surveys' && <Surveys memberId={memberId} />}
          {tab === 'consents' && <Consents memberId={memberId} />}
          {tab === 'transfer' && <Transfer memberId={memberId} />}
          {tab === 'data' && <MyData memberId={memberId} />}
        </>
      )}
    </Shell>
  );
}

export default function WalletApp() {
  const { t } = useTranslation();
  const session = useSignedInClient('wallet');
  if (!session.client) return <CredentialForm title={t('wallet.title')} label={t('wallet.memberToken')} onSubmit={session.signIn} />;
  return (
    <ApolloProvider client={session.client.apollo}>
      <LiveContext.Provider value={session.client.ws}>
        <Wallet onSignOut={session.signOut} />
      </LiveContext.Provider>
    </ApolloProvider>
  );
}
