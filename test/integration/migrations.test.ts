import { GATEWAY_ORM } from '../../gateway/keys/key-store';
import { initOrm, type Orm } from '../../subgraphs/common/orm';
import { SUBGRAPHS } from '../../subgraphs';
import { createTestEnv, usePostgres, type TestEnv } from '../fixtures/test-config';

const specs = [...SUBGRAPHS.map((s) => s.orm), GATEWAY_ORM];

describe('initOrm', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env?.cleanup());

  it.each(specs.map((s) => [s.name, s]))('brings the %s schema fully up to date (checked-in migrations match the entities)', async (_name, spec) => {
    let orm: Orm | undefined;
    try {
      orm = await initOrm(env.config, spec);
      const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      // the subgraphs share one PostgreSQL database: only this subgraph's own schema counts
      const own = diff.split('\n').filter((line) => !usePostgres || line.includes(`"${spec.name}".`));
      // a statement here means someone changed an entity without `npm run migrations`
      expect(own.join('\n').trim()).toBe('');
      if (usePostgres) {
        const executed = await orm.getMigrator().getExecutedMigrations();
        expect(executed.map((m) => m.name)).toEqual(spec.migrations.map((m) => m.name));
      }
    } finally {
      await orm?.close(true);
    }
  });

  it('is safe to run twice on the same database', async () => {
    for (let i = 0; i < 2; i++) {
      const orm = await initOrm(env.config, specs[0]);
      await orm.close(true);
    }
  });
});
