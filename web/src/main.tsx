// One bundle, three apps: the path picks which (/console, /till, /wallet); `/` lists them.
import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import '@fontsource/noto-sans/latin-400.css';
import '@fontsource/noto-sans/latin-700.css';
import '@fontsource/noto-sans-thai/400.css';
import '@fontsource/noto-sans-thai/700.css';
import './styles.css';
import './i18n';
import { Home } from './Home';
import { Loading } from './ui/Shell';

// Each app is its own chunk: the till and wallet never load the console's charts.
const ConsoleApp = lazy(() => import('./console/ConsoleApp'));
const TillApp = lazy(() => import('./till/TillApp'));
const WalletApp = lazy(() => import('./wallet/WalletApp'));

function pick(path: string) {
  if (path.startsWith('/console')) return <ConsoleApp />;
  if (path.startsWith('/till')) return <TillApp />;
  if (path.startsWith('/wallet')) return <WalletApp />;
  return <Home />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Suspense fallback={<Loading />}>{pick(window.location.pathname)}</Suspense>
  </StrictMode>,
);
