// The web apps (web/, built by vite into WEB_DIR) served from the gateway's own origin, so the
// browser talks to /graphql with no CORS. One index.html answers every app path (/console,
// /till, /wallet and anything under them): the app picks its screen from the path.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import express from 'express';

export const APP_PATHS = ['/console', '/till', '/wallet'] as const;

/** Mounts the built apps when `webDir` holds a build; answers false (nothing mounted) otherwise. */
export function mountWebApps(app: express.Express, webDir: string): boolean {
  const root = resolve(webDir);
  const index = resolve(root, 'index.html');
  if (!existsSync(index)) return false;
  // Hashed asset names never change content: cache them for a year; index.html never.
  app.use('/assets', express.static(resolve(root, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }));
  const sendIndex = (_req: express.Request, res: express.Response) => {
    res.setHeader('cache-control', 'no-cache');
    // The tokens a deep link carries stay in the fragment, never in a URL the server sees; and the
    // page may not be framed by another site.
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.sendFile(index);
  };
  app.get('/', sendIndex);
  for (const path of APP_PATHS) app.get([path, `${path}/*rest`], sendIndex);
  app.use(express.static(root, { index: false }));
  return true;
}
