import { useTranslation } from 'react-i18next';

export function NotServed({ what }: { what: string }) {
  const { t } = useTranslation();
  return (
    <p role="status" className="muted" data-testid="not-served">
      {t('common.notServed', { what })}
    </p>
  );
}
