import 'reflect-metadata';

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { renderSchemaFiles } from './schema-files';

/** `npm run schema`: writes schema/<subgraph>.graphql and schema/supergraph.graphql. */
async function main(): Promise<void> {
  const dir = resolve(process.cwd(), 'schema');
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(await renderSchemaFiles())) {
    writeFileSync(join(dir, name), content);
    console.log(`wrote schema/${name}`);
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
