// GraphQL Code Generator's client preset for the web apps: every graphql(`…`) document in web/src
// gets its result and variable types (web/src/gql/, committed: the type check reads it).
// Run with `npm run codegen` (with the tests' and the examples' generators).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
  ignoreNoDocuments: true,
  generates: {
    'web/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Decimal (money, rates) is an exact string on the wire and stays one: never a JS number.
        scalars: { Decimal: 'string', DateTime: 'string', JSONObject: 'Record<string, unknown>', Points64: 'string' },
      },
    },
  },
};

export default config;
