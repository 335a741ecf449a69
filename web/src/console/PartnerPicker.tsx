import { useTranslation } from 'react-i18next';
import { usePartners } from './usePartners';

export function PartnerPicker({ value, onChange, includeCoalition = false }: { value: string; onChange: (id: string) => void; includeCoalition?: boolean }) {
  const { t } = useTranslation();
  const { partners } = usePartners();
  return (
    <label>
      {t('common.partner')}
      <select name="partner" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('common.choose')}</option>
        {partners
          .filter((p) => includeCoalition || !p.isCoalition)
          .map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.currencyCode})
            </option>
          ))}
      </select>
    </label>
  );
}
