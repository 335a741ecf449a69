import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import type { WebhookEventType } from '../gql/graphql';
import { formatDateTime } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Section } from '../ui/Shell';
import { PartnerPicker } from './PartnerPicker';

const EVENTS: WebhookEventType[] = [
  'POINTS_EARNED',
  'POINTS_REDEEMED',
  'POINTS_REVERSED',
  'POINTS_ADJUSTED',
  'POINTS_EXPIRED',
  'REDEMPTION_FULFILLED',
  'MEMBER_ENROLLED',
  'TIER_CHANGED',
  'EXCHANGE_RATE_CHANGED',
];

const Endpoints = graphql(`
  query ConsoleWebhooks($partnerId: ID) {
    webhookEndpoints(partnerId: $partnerId) {
      id
      url
      active
      events
      createdAt
      deactivatedReason
      partner {
        id
        name
      }
    }
  }
`);
const Deliveries = graphql(`
  query ConsoleWebhookDeliveries($endpointId: ID!) {
    webhookDeliveries(endpointId: $endpointId, first: 20) {
      edges {
        node {
          id
          eventType
          status
          attempts
          lastStatusCode
          lastError
          createdAt
        }
      }
    }
  }
`);
const Create = graphql(`
  mutation ConsoleCreateWebhook($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      secret
      endpoint {
        id
      }
    }
  }
`);
const SetActive = graphql(`
  mutation ConsoleSetWebhookActive($id: ID!, $active: Boolean!) {
    setWebhookEndpointActive(id: $id, active: $active) {
      id
      active
    }
  }
`);

export function Webhooks() {
  const { t } = useTranslation();
  const [partnerId, setPartnerId] = useState('');
  const { data, error, refetch } = useQuery(Endpoints, { variables: { partnerId: partnerId || null } });
  const [url, setUrl] = useState('');
  const [create, created] = useMutation(Create);
  const [setActive, activeSet] = useMutation(SetActive);
  const [open, setOpen] = useState<string | null>(null);
  const deliveries = useQuery(Deliveries, { variables: { endpointId: open ?? '' }, skip: !open });
  return (
    <>
      <Section title={t('console.tab.webhooks')}>
        <PartnerPicker value={partnerId} onChange={setPartnerId} includeCoalition />
        <ApiError error={error ?? activeSet.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">{t('common.partner')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data?.webhookEndpoints.map((w) => (
              <tr key={w.id}>
                <td className="mono">{w.url}</td>
                <td>{w.partner?.name ?? '—'}</td>
                <td>{w.active ? t('console.active') : (w.deactivatedReason ?? t('console.inactive'))}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => setOpen(w.id)}>
                    {t('console.deliveries')}
                  </button>{' '}
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => void setActive({ variables: { id: w.id, active: !w.active } }).catch(() => undefined)}
                  >
                    {w.active ? t('console.disable') : t('console.enable')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void create({ variables: { input: { url, events: EVENTS, partnerId: partnerId || null } } })
              .then(() => refetch())
              .catch(() => undefined);
          }}
        >
          <label>
            {t('console.webhookUrl')}
            <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} />
          </label>
          <button type="submit">{t('console.create')}</button>
        </form>
        <ApiError error={created.error} />
        {created.data && (
          <p role="status" className="ok">
            {t('console.secretShownOnce')} <code className="mono">{created.data.createWebhookEndpoint.secret}</code>
          </p>
        )}
      </Section>
      {open && (
        <Section title={t('console.deliveries')} scroll>
          <ApiError error={deliveries.error} />
          <table>
            <thead>
              <tr>
                <th scope="col">{t('common.when')}</th>
                <th scope="col">{t('common.type')}</th>
                <th scope="col">{t('common.status')}</th>
                <th scope="col">{t('console.attempts')}</th>
                <th scope="col">HTTP</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data?.webhookDeliveries.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>{formatDateTime(node.createdAt)}</td>
                  <td>{node.eventType}</td>
                  <td>{node.status}</td>
                  <td className="num">{node.attempts}</td>
                  <td>{node.lastStatusCode ?? node.lastError ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
    </>
  );
}
