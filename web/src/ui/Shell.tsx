// The frame of every app: title, tabs, language picker, sign-out; the screen below. Tabs wrap on a
// phone and sit in one row on a desktop (styles.css).
import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage } from '../i18n';

export interface Tab {
  id: string;
  label: string;
}

export function Shell(props: {
  title: string;
  subtitle?: string;
  tabs?: Tab[];
  active?: string;
  onTab?: (id: string) => void;
  onSignOut?: () => void;
  children: ReactNode;
}) {
  const { t, i18n } = useTranslation();
  return (
    <div className="shell">
      <header className="top">
        <div className="brand">
          <h1>{props.title}</h1>
          {props.subtitle && <p className="subtitle">{props.subtitle}</p>}
        </div>
        <div className="tools">
          <label>
            <span className="sr-only">{t('common.language')}</span>
            <select aria-label={t('common.language')} value={i18n.language} onChange={(e) => setLanguage(e.target.value)}>
              {LANGUAGES.map((l) => (
                <option key={l.code} value={l.code} lang={l.code}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
          {props.onSignOut && (
            <button type="button" className="secondary" onClick={props.onSignOut}>
              {t('common.signOut')}
            </button>
          )}
        </div>
      </header>
      {props.tabs && (
        <nav aria-label={t('common.sections')} className="tabs">
          {props.tabs.map((tab) => (
            <button
              key={tab.id}
              type="button"
              aria-current={tab.id === props.active ? 'page' : undefined}
              className={tab.id === props.active ? 'tab active' : 'tab'}
              onClick={() => props.onTab?.(tab.id)}
            >
              {tab.label}
            </button>
          ))}
        </nav>
      )}
      <main>{props.children}</main>
    </div>
  );
}

/**
 * A card with a heading. `scroll`: it holds a table that may be wider than a phone, so the card
 * scrolls sideways and takes keyboard focus (arrow keys scroll it).
 */
export function Section({ title, children, scroll = false }: { title: string; children: ReactNode; scroll?: boolean }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id} tabIndex={scroll ? 0 : undefined}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p role="status" className="loading">
      {t('common.loading')}
    </p>
  );
}
