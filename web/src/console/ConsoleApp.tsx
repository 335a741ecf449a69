// The operator's console (/console): staff sign in with email and password (staffLogin), or a
// deep link /console#token=<staff token or ADMIN_TOKEN>. Anything else — a partner key, a member
// token — is refused here before any screen loads (and the API would refuse it too).
import { ApolloProvider, useMutation, useQuery } from '@apollo/client/react';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { createLoyaltyClient } from '../lib/apollo';
import { parseViewer } from '../lib/format';
import { useSignedInClient } from '../lib/useClient';
import { ApiError } from '../ui/ApiError';
import { Loading, Shell } from '../ui/Shell';
import { Partners } from './Partners';
import { Rates } from './Rates';
import { ApiKeys } from './ApiKeys';
import { Webhooks } from './Webhooks';
import { Settlement } from './Settlement';
import { Members } from './Members';
import { AuditLog } from './AuditLog';
import { Program } from './Program';
import { Imports } from './Imports';
import { Insight } from './Insight';
import { CredentialContext } from '../lib/optional-api';

const ConsoleViewer = graphql(`
  query ConsoleViewer {
    viewer
  }
`);

const StaffLogin = graphql(`
  mutation ConsoleStaffLogin($email: String!, $password: String!) {
    staffLogin(email: $email, password: $password)
  }
`);

const TABS = ['partners', 'rates', 'keys', 'webhooks', 'settlement', 'insight', 'members', 'imports', 'audit', 'program'] as const;

function Console({ onSignOut }: { onSignOut: () => void }) {
  const { t } = useTranslation();
  const { data, error, loading } = useQuery(ConsoleViewer);
  const viewer = data ? parseViewer(data.viewer) : null;
  const isStaff = viewer?.kind === 'admin' || viewer?.kind === 'staff';
  const [tab, setTab] = useState<string>('partners');
  const tabs = TABS.map((id) => ({ id, label: t(`console.tab.${id}`) }));
  return (
    <Shell title={t('console.title')} tabs={isStaff ? tabs : undefined} active={tab} onTab={setTab} onSignOut={onSignOut}>
      {loading && !data && <Loading />}
      <ApiError error={error} />
      {viewer && !isStaff && (
        <p role="alert" className="error" data-testid="staff-only">
          {t('console.staffOnly')}
        </p>
      )}
      {isStaff && tab === 'partners' && <Partners />}
      {isStaff && tab === 'rates' && <Rates />}
      {isStaff && tab === 'keys' && <ApiKeys />}
      {isStaff && tab === 'webhooks' && <Webhooks />}
      {isStaff && tab === 'settlement' && <Settlement />}
      {isStaff && tab === 'insight' && <Insight />}
      {isStaff && tab === 'members' && <Members />}
      {isStaff && tab === 'imports' && <Imports />}
      {isStaff && tab === 'audit' && <AuditLog />}
      {isStaff && tab === 'program' && <Program />}
    </Shell>
  );
}

function Login({ onToken }: { onToken: (token: string) => void }) {
  const { t } = useTranslation();
  // An anonymous client, only for staffLogin.
  const anonymous = useMemo(() => createLoyaltyClient(null), []);
  return (
    <ApolloProvider client={anonymous.apollo}>
      <LoginForm onToken={onToken} />
      <p className="sr-only">{t('console.title')}</p>
    </ApolloProvider>
  );
}

function LoginForm({ onToken }: { onToken: (token: string) => void }) {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [login, result] = useMutation(StaffLogin);
  return (
    <Shell title={t('console.title')}>
      <section className="card narrow">
        <h2>{t('console.staffSignIn')}</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void login({ variables: { email, password } })
              .then((r) => r.data && onToken(r.data.staffLogin))
              .catch(() => undefined);
          }}
        >
          <label>
            {t('console.email')}
            <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            {t('console.password')}
            <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <button type="submit">{t('common.signIn')}</button>
        </form>
        <ApiError error={result.error} />
        <p className="muted">{t('console.tokenHint')}</p>
      </section>
    </Shell>
  );
}

export default function ConsoleApp() {
  const session = useSignedInClient('console');
  if (!session.client) return <Login onToken={session.signIn} />;
  return (
    <ApolloProvider client={session.client.apollo}>
      <CredentialContext.Provider value={session.credential}>
        <Console onSignOut={session.signOut} />
      </CredentialContext.Provider>
    </ApolloProvider>
  );
}
