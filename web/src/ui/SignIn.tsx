// The sign-in form of an app opened without a deep link: paste a key or token (the console also
// takes a staff email and password, see console/ConsoleApp).
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Shell } from './Shell';

export function CredentialForm({ title, label, onSubmit, children }: { title: string; label: string; onSubmit: (v: string) => void; children?: ReactNode }) {
  const { t } = useTranslation();
  const [value, setValue] = useState('');
  return (
    <Shell title={title}>
      <section className="card narrow">
        <h2>{t('common.signIn')}</h2>
        {children}
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (value.trim()) onSubmit(value.trim());
          }}
        >
          <label>
            {label}
            <input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
          <button type="submit">{t('common.signIn')}</button>
        </form>
      </section>
    </Shell>
  );
}
