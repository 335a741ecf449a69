// A partner's API keys: create (the key is shown once), rotate with a grace period for the old
// one, revoke.
import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDateTime } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Section } from '../ui/Shell';
import { PartnerPicker } from './PartnerPicker';

const Keys = graphql(`
  query ConsoleApiKeys($partnerId: ID!) {
    partnerApiKeys(partnerId: $partnerId) {
      id
      prefix
      active
      createdAt
      lastUsedAt
      expiresAt
      revokedAt
    }
  }
`);
const Create = graphql(`
  mutation ConsoleCreateKey($partnerId: ID!) {
    createPartnerApiKey(partnerId: $partnerId)
  }
`);
const Rotate = graphql(`
  mutation ConsoleRotateKey($prefix: String!, $grace: Int!) {
    rotatePartnerApiKey(prefix: $prefix, graceSeconds: $grace) {
      key
      prefix
      previousKeyExpiresAt
    }
  }
`);
const Revoke = graphql(`
  mutation ConsoleRevokeKey($prefix: String!) {
    revokePartnerApiKey(prefix: $prefix)
  }
`);

export function ApiKeys() {
  const { t } = useTranslation();
  const [partnerId, setPartnerId] = useState('');
  const { data, error, refetch } = useQuery(Keys, { variables: { partnerId }, skip: !partnerId });
  const [shown, setShown] = useState<string | null>(null);
  const [create, created] = useMutation(Create);
  const [rotate, rotated] = useMutation(Rotate);
  const [revoke, revoked] = useMutation(Revoke);
  const [grace, setGrace] = useState('3600');
  const after = () => void refetch();
  return (
    <Section title={t('console.tab.keys')}>
      <div className="row">
        <PartnerPicker value={partnerId} onChange={setPartnerId} />
        <label>
          {t('console.graceSeconds')}
          <input inputMode="numeric" value={grace} onChange={(e) => setGrace(e.target.value)} />
        </label>
        <button
          type="button"
          disabled={!partnerId}
          onClick={() =>
            void create({ variables: { partnerId } })
              .then((r) => {
                setShown(r.data?.createPartnerApiKey ?? null);
                after();
              })
              .catch(() => undefined)
          }
        >
          {t('console.newKey')}
        </button>
      </div>
      <ApiError error={error ?? created.error ?? rotated.error ?? revoked.error} />
      {shown && (
        <p role="status" className="ok">
          {t('console.keyShownOnce')} <code className="mono">{shown}</code>
        </p>
      )}
      {data && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('console.prefix')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col">{t('console.created')}</th>
              <th scope="col">{t('console.lastUsed')}</th>
              <th scope="col">{t('common.expires')}</th>
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.partnerApiKeys.map((k) => (
              <tr key={k.id}>
                <td className="mono">{k.prefix}</td>
                <td>{k.active ? t('console.active') : t('console.revoked')}</td>
                <td>{formatDateTime(k.createdAt)}</td>
                <td>{k.lastUsedAt ? formatDateTime(k.lastUsedAt) : '—'}</td>
                <td>{k.expiresAt ? formatDateTime(k.expiresAt) : '—'}</td>
                <td>
                  {k.active && (
                    <>
                      <button
                        type="button"
                        className="secondary"
                        onClick={() =>
                          void rotate({ variables: { prefix: k.prefix, grace: Number(grace) } })
                            .then((r) => {
                              setShown(r.data?.rotatePartnerApiKey.key ?? null);
                              after();
                            })
                            .catch(() => undefined)
                        }
                      >
                        {t('console.rotate')}
                      </button>{' '}
                      <button
                        type="button"
                        className="danger"
                        onClick={() =>
                          void revoke({ variables: { prefix: k.prefix } })
                            .then(after)
                            .catch(() => undefined)
                        }
                      >
                        {t('console.revoke')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}
