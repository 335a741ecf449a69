import { useEffect, useMemo, useState } from 'react';
import { createLoyaltyClient } from './apollo';
import { clearCredential, storeCredential, takeCredential, type AppName } from './session';

/** The app's credential (from a deep link or this tab's storage) and a client signed in with it. */
export function useSignedInClient(app: AppName) {
  const [credential, setCredential] = useState<string | null>(() => takeCredential(app));
  const client = useMemo(() => (credential ? createLoyaltyClient(credential) : null), [credential]);
  useEffect(() => () => client?.dispose(), [client]);
  return {
    credential,
    client,
    signIn(value: string) {
      storeCredential(app, value);
      setCredential(value);
    },
    signOut() {
      clearCredential(app);
      setCredential(null);
    },
  };
}
