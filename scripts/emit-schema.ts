// Writes schema.graphql from the code-first schema (the file is committed; a test compares).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaSdl } from '../src/app/schema';

schemaSdl().then((sdl) => {
  writeFileSync(join(__dirname, '..', '..', 'schema.graphql'), sdl);
  console.log('wrote schema.graphql');
});
