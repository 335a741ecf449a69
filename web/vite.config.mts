// The web apps' build: one single-page app (console, till, wallet) that the gateway serves at `/`
// from web/dist. `npm run dev:web` proxies /graphql (HTTP and graphql-ws) to a running gateway.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // ECharts alone is about 500 kB: split the chart code from the rest so the till and wallet
    // load without it.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } },
  },
});
