import { useTranslation } from 'react-i18next';
import { Shell } from './ui/Shell';

export function Home() {
  const { t } = useTranslation();
  return (
    <Shell title={t('home.title')}>
      <section className="card">
        <h2>{t('home.apps')}</h2>
        <ul className="apps">
          <li>
            <a href="/console">{t('console.title')}</a> — {t('home.console')}
          </li>
          <li>
            <a href="/till">{t('till.title')}</a> — {t('home.till')}
          </li>
          <li>
            <a href="/wallet">{t('wallet.title')}</a> — {t('home.wallet')}
          </li>
        </ul>
      </section>
    </Shell>
  );
}
