import { existsSync, readFileSync } from 'node:fs';
import { buildSchema, findBreakingChanges } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schemaSdl } from '../src/app/schema';

const SHARED_CONTRACT = '../shared/contract.graphql';
/** The lines test/fixtures/contract.graphql adds above the shared text (where it comes from). */
const COPY_HEADER_LINES = 3;

describe('schema.graphql', () => {
  it('is what the code emits (run `npm run schema:emit` after changing resolvers)', async () => {
    expect(readFileSync('schema.graphql', 'utf8')).toBe(await schemaSdl());
  });

  it('keeps every name of the public contract (test/fixtures/contract.graphql): nothing removed, renamed or narrowed', () => {
    const contract = buildSchema(readFileSync('test/fixtures/contract.graphql', 'utf8'));
    const ours = buildSchema(readFileSync('schema.graphql', 'utf8'));
    expect(findBreakingChanges(contract, ours).map((g) => `${g.type}: ${g.description}`)).toEqual([]);
  });

  // In the workspace the contract lives in ../shared; the copy must follow it. (A clone elsewhere
  // has no ../shared: then the copy alone is the contract.)
  it.skipIf(!existsSync(SHARED_CONTRACT))('the copy of the contract is the shared one', () => {
    const copy = readFileSync('test/fixtures/contract.graphql', 'utf8').split('\n').slice(COPY_HEADER_LINES);
    expect(copy.join('\n')).toBe(readFileSync(SHARED_CONTRACT, 'utf8'));
  });
});

describe('codegen', () => {
  it('test/generated/graphql.ts matches schema.graphql and the operations (run `npm run codegen`)', async () => {
    const { generate } = await import('@graphql-codegen/cli');
    const { parse } = await import('yaml');
    const config = parse(readFileSync('codegen.yml', 'utf8'));
    const outputs = await generate({ ...config, cwd: process.cwd(), silent: true }, false);
    expect(outputs).toHaveLength(1);
    expect(readFileSync(outputs[0]!.filename, 'utf8')).toBe(outputs[0]!.content);
  }, 60_000);
});
