// i18next with the coalition's four languages. `?lang=en|ms|th|id` picks one and is remembered
// (localStorage); otherwise the remembered one, then the browser's, then English.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en';
import ms from './ms';
import th from './th';
import id from './id';

export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'ms', label: 'Bahasa Melayu' },
  { code: 'th', label: 'ไทย' },
  { code: 'id', label: 'Bahasa Indonesia' },
] as const;

const KEY = 'loyalty.lang';
const supported = (code: string | null | undefined): code is string => !!code && LANGUAGES.some((l) => l.code === code);

function initialLanguage(): string {
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  if (supported(fromUrl)) {
    localStorage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  const remembered = localStorage.getItem(KEY);
  if (supported(remembered)) return remembered;
  const browser = navigator.language.slice(0, 2);
  return supported(browser) ? browser : 'en';
}

export function setLanguage(code: string): void {
  if (!supported(code)) return;
  localStorage.setItem(KEY, code);
  void i18n.changeLanguage(code);
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ms: { translation: ms }, th: { translation: th }, id: { translation: id } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
});

const syncHtmlLang = (lng: string) => {
  document.documentElement.lang = lng;
};
syncHtmlLang(i18n.language);
i18n.on('languageChanged', syncHtmlLang);

export default i18n;
