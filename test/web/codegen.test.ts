// web/src/gql (GraphQL Code Generator's client preset, committed: the type check reads it) is what
// `npm run codegen` would write from schema.graphql and the documents in web/src.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import config from '../../web/codegen';

describe('web codegen', () => {
  it('web/src/gql matches schema.graphql and the documents in web/src (run `npm run codegen`)', async () => {
    const { generate } = await import('@graphql-codegen/cli');
    const outputs = await generate({ ...config, cwd: process.cwd(), silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) expect(readFileSync(output.filename, 'utf8'), output.filename).toBe(output.content);
  }, 60_000);
});
