// The partner's till (/till#key=<partner API key>): find the member by card, preview and record an
// earn, pay part of a bill with points, fulfil a redemption code, refund.
import { ApolloProvider, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { parseViewer } from '../lib/format';
import { useSignedInClient } from '../lib/useClient';
import { ApiError } from '../ui/ApiError';
import { Loading, Shell } from '../ui/Shell';
import { CredentialForm } from '../ui/SignIn';
import { MemberPanel } from './MemberPanel';
import { CodePanel } from './CodePanel';

const TillViewer = graphql(`
  query TillViewer {
    viewer
    partners(first: 100) {
      edges {
        node {
          id
          slug
          name
          currencyCode
          status
        }
      }
    }
  }
`);

export interface TillPartner {
  id: string;
  slug: string;
  name: string;
  currencyCode: string;
}

function Till({ onSignOut }: { onSignOut: () => void }) {
  const { t } = useTranslation();
  const { data, error, loading } = useQuery(TillViewer);
  const viewer = data ? parseViewer(data.viewer) : null;
  const partner = data?.partners.edges.map((e) => e.node).find((p) => p.slug === viewer?.ref);
  const [tab, setTab] = useState('member');
  const tabs = [
    { id: 'member', label: t('till.tabMember') },
    { id: 'code', label: t('till.tabCode') },
  ];
  return (
    <Shell title={t('till.title')} subtitle={partner?.name} tabs={tabs} active={tab} onTab={setTab} onSignOut={onSignOut}>
      {loading && !data && <Loading />}
      <ApiError error={error} />
      {data && viewer?.kind !== 'partner' && (
        <p role="alert" className="error">
          {t('till.needsPartnerKey')}
        </p>
      )}
      {partner && tab === 'member' && <MemberPanel partner={partner} />}
      {partner && tab === 'code' && <CodePanel />}
    </Shell>
  );
}

export default function TillApp() {
  const { t } = useTranslation();
  const session = useSignedInClient('till');
  if (!session.client) return <CredentialForm title={t('till.title')} label={t('till.apiKey')} onSubmit={session.signIn} />;
  return (
    <ApolloProvider client={session.client.apollo}>
      <Till onSignOut={session.signOut} />
    </ApolloProvider>
  );
}
