import { useMutation } from '@apollo/client/react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { graphql } from '../gql';
import { formatDecimal } from '../lib/format';
import { ApiError } from '../ui/ApiError';
import { Loading, Section } from '../ui/Shell';
import { usePartners } from './usePartners';

const CreatePartner = graphql(`
  mutation ConsoleCreatePartner($input: CreatePartnerInput!) {
    createPartner(input: $input) {
      id
      slug
      name
      currencyCode
      status
    }
  }
`);

const SetStatus = graphql(`
  mutation ConsoleSetPartnerStatus($partnerId: ID!, $status: PartnerStatus!) {
    setPartnerStatus(partnerId: $partnerId, status: $status) {
      id
      status
    }
  }
`);

export function Partners() {
  const { t } = useTranslation();
  const { partners, error, loading, refetch } = usePartners();
  const [form, setForm] = useState({ slug: '', name: '', currencyCode: '' });
  const [create, created] = useMutation(CreatePartner);
  const [setStatus, statusSet] = useMutation(SetStatus);
  return (
    <>
      <Section title={t('console.tab.partners')}>
        <ApiError error={error ?? statusSet.error} />
        {loading && partners.length === 0 && <Loading />}
        <table>
          <thead>
            <tr>
              <th scope="col">{t('common.name')}</th>
              <th scope="col">{t('console.slug')}</th>
              <th scope="col">{t('console.currency')}</th>
              <th scope="col">{t('console.earnRate')}</th>
              <th scope="col">{t('console.burnRate')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col">
                <span className="sr-only">{t('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {partners.map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td className="mono">{p.slug}</td>
                <td>{p.currencyCode}</td>
                <td className="num">{p.exchangeRate ? formatDecimal(p.exchangeRate.earnRate) : '—'}</td>
                <td className="num">{p.exchangeRate ? formatDecimal(p.exchangeRate.burnRate) : '—'}</td>
                <td>{t(`partnerStatus.${p.status}`)}</td>
                <td>
                  {!p.isCoalition && (
                    <button
                      type="button"
                      className="secondary"
                      onClick={() =>
                        void setStatus({ variables: { partnerId: p.id, status: p.status === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE' } }).catch(() => undefined)
                      }
                    >
                      {p.status === 'ACTIVE' ? t('console.suspend') : t('console.reactivate')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t('console.onboard')}>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void create({ variables: { input: form } })
              .then(() => {
                setForm({ slug: '', name: '', currencyCode: '' });
                void refetch();
              })
              .catch(() => undefined);
          }}
        >
          <label>
            {t('console.slug')}
            <input value={form.slug} onChange={(e) => setForm({ ...form, slug: e.target.value })} />
          </label>
          <label>
            {t('common.name')}
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label>
            {t('console.currency')}
            <input value={form.currencyCode} maxLength={3} onChange={(e) => setForm({ ...form, currencyCode: e.target.value.toUpperCase() })} />
          </label>
          <button type="submit">{t('console.create')}</button>
        </form>
        <ApiError error={created.error} />
        {created.data && (
          <p role="status" className="ok">
            {t('console.partnerCreated', { name: created.data.createPartner.name })}
          </p>
        )}
      </Section>
    </>
  );
}
