import { loadConfig } from '../../../subgraphs/common/config';

const SECRET = 'x'.repeat(40);
const PG = 'postgresql://foresight:foresight@db.internal:5432/foresight';
const dev = { DATA_DIR: '/tmp/foresight-config-test', FORESIGHT_SECRET: SECRET, DATABASE_URL: PG };

describe('loadConfig: production start', () => {
  it('keeps the friendly development defaults when no environment is named', () => {
    const config = loadConfig(dev);
    expect(config).toMatchObject({ production: false, graphiql: true, introspection: true, devAdminKey: true });
  });

  it.each([
    ['FORESIGHT_ENV=production', { FORESIGHT_ENV: 'production' }],
    ['NODE_ENV=production', { NODE_ENV: 'production' }],
  ])('turns every development default off under %s', (_name, env) => {
    const config = loadConfig({ ...dev, ...env });
    expect(config).toMatchObject({ production: true, graphiql: false, introspection: false, devAdminKey: false });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['no secret (the development secret file)', { FORESIGHT_SECRET: '' }, /FORESIGHT_SECRET: is required in production/],
    ['a short secret', { FORESIGHT_SECRET: 'short' }, /FORESIGHT_SECRET: at least 32 characters/],
    ['GraphiQL turned on', { GRAPHIQL: 'true' }, /GRAPHIQL: must be false/],
    ['introspection turned on', { INTROSPECTION: 'true' }, /INTROSPECTION: must be false/],
    ['the printed dev admin key turned on', { DEV_ADMIN_KEY: 'true' }, /DEV_ADMIN_KEY: must be false/],
    ['no DATABASE_URL (SQLite files)', { DATABASE_URL: '' }, /DATABASE_URL: is required in production: set it to a PostgreSQL URL/],
    ['no DATABASE_URL and ALLOW_SQLITE_IN_PRODUCTION=false', { DATABASE_URL: '', ALLOW_SQLITE_IN_PRODUCTION: 'false' }, /DATABASE_URL: is required in production/],
  ])('refuses to start with %s, naming the setting', (_name, env, message) => {
    expect(() => loadConfig({ ...dev, FORESIGHT_ENV: 'production', ...env })).toThrow(message);
  });

  it('lists every missing setting at once', () => {
    const attempt = () => loadConfig({ DATA_DIR: '/tmp/foresight-config-test', FORESIGHT_ENV: 'production', GRAPHIQL: 'true', INTROSPECTION: 'true' });
    expect(attempt).toThrow(/DATABASE_URL[\s\S]*FORESIGHT_SECRET[\s\S]*GRAPHIQL[\s\S]*INTROSPECTION/);
  });

  it('starts on PostgreSQL in production', () => {
    expect(loadConfig({ ...dev, FORESIGHT_ENV: 'production' })).toMatchObject({ production: true, databaseUrl: PG });
  });

  it('starts on SQLite in production only when ALLOW_SQLITE_IN_PRODUCTION=true says so', () => {
    const config = loadConfig({ ...dev, DATABASE_URL: '', FORESIGHT_ENV: 'production', ALLOW_SQLITE_IN_PRODUCTION: 'true' });
    expect(config).toMatchObject({ production: true, databaseUrl: null });
  });

  it('keeps SQLite as the development default', () => {
    expect(loadConfig({ ...dev, DATABASE_URL: '' })).toMatchObject({ production: false, databaseUrl: null });
  });

  it('refuses an ALLOW_SQLITE_IN_PRODUCTION that is not true or false', () => {
    expect(() => loadConfig({ ...dev, ALLOW_SQLITE_IN_PRODUCTION: 'yes' })).toThrow(/ALLOW_SQLITE_IN_PRODUCTION/);
  });

  it('lets FORESIGHT_ENV=development keep a NODE_ENV=production build friendly', () => {
    expect(loadConfig({ ...dev, NODE_ENV: 'production', FORESIGHT_ENV: 'development' })).toMatchObject({ production: false, graphiql: true });
  });
});
