// Which partners may see the member's name and email: grant or revoke each (revoking also ends
// that partner's link, see the README's Privacy section).
import { useMutation, useQuery } from '@apollo/client/react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDate } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';

const WalletConsents = graphql(`
  query WalletConsents($memberId: ID!) {
    member(id: $memberId) {
      id
      consents {
        grantedAt
        partner {
          id
          name
        }
      }
    }
    linkedPartners(memberId: $memberId) {
      id
      name
    }
    partners(first: 100) {
      edges {
        node {
          id
          name
          isCoalition
        }
      }
    }
  }
`);

const Grant = graphql(`
  mutation WalletGrantConsent($memberId: ID!, $partnerId: ID!) {
    grantPartnerConsent(memberId: $memberId, partnerId: $partnerId) {
      id
      consents {
        grantedAt
        partner {
          id
          name
        }
      }
    }
  }
`);

const Revoke = graphql(`
  mutation WalletRevokeConsent($memberId: ID!, $partnerId: ID!) {
    revokePartnerConsent(memberId: $memberId, partnerId: $partnerId) {
      id
      consents {
        grantedAt
        partner {
          id
          name
        }
      }
    }
  }
`);

export function Consents({ memberId }: { memberId: string }) {
  const { t } = useTranslation();
  const { data, error, loading, refetch } = useQuery(WalletConsents, { variables: { memberId } });
  const [grant, granted] = useMutation(Grant);
  const [revoke, revoked] = useMutation(Revoke);
  if (loading && !data) return <Loading />;
  const consentOf = new Map(data?.member?.consents.map((c) => [c.partner.id, c.grantedAt]));
  const linked = new Set(data?.linkedPartners.map((p) => p.id));
  return (
    <Section title={t('wallet.tab.consents')} scroll>
      <p>{t('wallet.consentsIntro')}</p>
      <ApiError error={error ?? granted.error ?? revoked.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">{t('common.partner')}</th>
            <th scope="col">{t('wallet.linked')}</th>
            <th scope="col">{t('wallet.consent')}</th>
            <th scope="col">
              <span className="sr-only">{t('common.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {data?.partners.edges
            .filter(({ node }) => !node.isCoalition)
            .map(({ node }) => {
              const at = consentOf.get(node.id);
              return (
                <tr key={node.id}>
                  <td>{node.name}</td>
                  <td>{linked.has(node.id) ? t('common.yes') : t('common.no')}</td>
                  <td>{at ? t('wallet.since', { date: formatDate(at) }) : t('common.no')}</td>
                  <td>
                    {at ? (
                      <button
                        type="button"
                        className="secondary"
                        onClick={() =>
                          void revoke({ variables: { memberId, partnerId: node.id } })
                            .then(() => refetch())
                            .catch(() => undefined)
                        }
                      >
                        {t('wallet.revoke')}
                      </button>
                    ) : (
                      <button
                        type="button"
                        onClick={() =>
                          void grant({ variables: { memberId, partnerId: node.id } })
                            .then(() => refetch())
                            .catch(() => undefined)
                        }
                      >
                        {t('wallet.grant')}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
        </tbody>
      </table>
    </Section>
  );
}
