// GraphQL Code Generator for a client of the gateway: typed documents for operations.graphql.
// Decimal (money amounts, rates) is a string on the wire and stays one: never a JS number.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  // The committed schema; a development server's URL works too (http://localhost:4000/graphql).
  schema: 'schema.graphql',
  documents: 'examples/clients/operations.graphql',
  generates: {
    'examples/clients/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          Decimal: 'string',
          DateTime: 'string',
          JSONObject: 'Record<string, unknown>',
        },
      },
    },
  },
};

export default config;
