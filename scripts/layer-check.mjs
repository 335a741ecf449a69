#!/usr/bin/env node
// Lists the folders of src/ that import each other in both directions, the tangles that hide which
// layer a rule lives in. Each src/modules/<feature> is one folder, each other directory of src/
// (app, db, graphql, errors, money, seed…) is one. The files directly in src/ belong to no folder
// and are left out (main.ts and server.ts sit on top of everything, config.ts and logger.ts below
// it); --root counts them as one more folder, "src", to see them too.
//   node scripts/layer-check.mjs [max] [--root]
// Exits 1 when a pair involves the ledger (features import the ledger, never the reverse) or when
// there are more than max pairs (no limit when max is left out).
// Plain Node, no dependencies, so it runs before anything is built.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const args = process.argv.slice(2);
const withRoot = args.includes('--root');
const limit = args.filter((a) => a !== '--root');
const max = limit.length === 0 ? Infinity : Number(limit[0]);
if (limit.length > 1 || (!Number.isInteger(max) && max !== Infinity)) {
  console.error('usage: node scripts/layer-check.mjs [max-mutual-pairs] [--root]');
  process.exit(2);
}

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The folder a file of src/ belongs to; undefined outside src/ (and directly in it, unless --root). */
function folderOf(file) {
  const rel = relative(src, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(sep);
  if (parts.length === 1) return withRoot ? 'src' : undefined;
  if (parts[0] === 'modules' && parts.length > 2) return `modules/${parts[1]}`;
  return parts[0];
}

/** Resolves a relative specifier the way TypeScript's resolver finds the .ts file. */
function resolveSpecifier(from, spec) {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return `${base}.ts`; // unresolved: still attributed to the folder it names
}

// Static imports and re-exports (between the keyword and `from` only names, braces, commas and
// `*`, so an export of a value never runs on to a later string), side-effect imports and dynamic
// import(), type-only ones included: a type dependency ties the folders all the same.
const patterns = [
  /^\s*(?:import|export)\s[\w\s{},*$]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

const edges = new Map(); // folder -> Map(folder -> example "file -> file")
for (const file of tsFiles(src)) {
  const from = folderOf(file);
  if (from === undefined) continue;
  const text = readFileSync(file, 'utf8');
  for (const pattern of patterns) {
    for (const [, spec] of text.matchAll(pattern)) {
      if (!spec.startsWith('.')) continue;
      const target = resolveSpecifier(file, spec);
      const to = folderOf(target);
      if (to === undefined || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      const out = edges.get(from);
      if (!out.has(to)) out.set(to, `${relative(root, file)} -> ${relative(root, target)}`);
    }
  }
}

const pairs = [];
for (const [a, out] of edges) {
  for (const [b, example] of out) {
    if (a < b && edges.get(b)?.has(a)) pairs.push({ a, b, ab: example, ba: edges.get(b).get(a) });
  }
}
pairs.sort((x, y) => (x.a + x.b).localeCompare(y.a + y.b));

for (const { a, b, ab, ba } of pairs) {
  console.log(`${a} <-> ${b}\n    ${ab}\n    ${ba}`);
}
const ledger = pairs.filter((p) => p.a === 'modules/ledger' || p.b === 'modules/ledger');
console.log(`${pairs.length} mutual pair(s), ${ledger.length} involving modules/ledger`);

let failed = false;
if (ledger.length > 0) {
  console.error('modules/ledger must import no other feature that imports it back');
  failed = true;
}
if (pairs.length > max) {
  console.error(`more than ${max} mutual pair(s)`);
  failed = true;
}
process.exit(failed ? 1 : 0);
