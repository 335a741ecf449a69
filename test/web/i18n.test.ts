// Every literal t('…') key the screens use exists in English (and so, by the Messages type, in
// every language); and no language leaves a text untranslated by copying English wholesale.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from '../../web/src/i18n/en';
import ms from '../../web/src/i18n/ms';
import th from '../../web/src/i18n/th';
import id from '../../web/src/i18n/id';

const SRC = join(__dirname, '../../web/src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'gql' ? [] : sources(join(dir, e.name))) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function lookup(messages: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), messages);
}

function leaves(node: unknown, prefix = ''): [string, string][] {
  if (typeof node === 'string') return [[prefix, node]];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

describe('web app translations', () => {
  it('every key used in web/src exists in English', () => {
    const missing: string[] = [];
    for (const file of sources(SRC)) {
      for (const [, key] of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) {
        if (typeof lookup(en, key!) !== 'string') missing.push(`${file.slice(SRC.length + 1)}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('each language translates most texts (not a copy of English)', () => {
    const english = leaves(en);
    for (const [name, messages] of Object.entries({ ms, th, id })) {
      const same = english.filter(([key, text]) => lookup(messages, key) === text && /[a-z]{4,}/.test(text)).map(([key]) => key);
      // Product words (Status, Bonus, Webhook…) may be the same; whole screens may not.
      expect(same.length, `${name}: ${same.join(', ')}`).toBeLessThan(english.length / 10);
    }
  });
});
