import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { renderSchemaFiles } from '../../scripts/schema-files';

const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');

describe('renderSchemaFiles', () => {
  let rendered: Record<string, string>;
  beforeAll(async () => {
    rendered = await renderSchemaFiles();
  });

  it('emits one SDL per subgraph and the supergraph', () => {
    expect(Object.keys(rendered).sort()).toEqual(
      ['actions.graphql', 'profiles.graphql', 'risk.graphql', 'signals.graphql', 'supergraph.graphql'].sort(),
    );
  });

  it.each(['profiles', 'signals', 'risk', 'actions', 'supergraph'])(
    'schema/%s.graphql matches what the code emits (run `npm run schema` after changing types)',
    (name) => {
      const committed = readFileSync(join(SCHEMA_DIR, `${name}.graphql`), 'utf8');
      expect(committed).toBe(rendered[`${name}.graphql`]);
    },
  );

  it('composes Profile from all four subgraphs', () => {
    const supergraph = rendered['supergraph.graphql'];
    for (const graph of ['PROFILES', 'SIGNALS', 'RISK', 'ACTIONS']) {
      expect(supergraph).toContain(`@join__type(graph: ${graph}, key: "id")`);
    }
  });
});
