/**
 * `npm run test:pg`: the suites whose outcome depends on the SQL dialect, run again on PostgreSQL.
 *
 * Criterion: a suite belongs here when it exercises SQL that differs between SQLite and PostgreSQL:
 * repositories and their set-based queries, migrations, multi-row upserts, row locks (`FOR UPDATE`),
 * transactions under concurrency, stored values PostgreSQL refuses (NUL, lone surrogates), tenant
 * filters in SQL, and recovery from SQL after a crash or an outage. Every integration suite does.
 * The e2e and security suites left out exercise the gateway, queues, pub/sub, limits or the model
 * through the same repositories the suites here already cover; they run on SQLite in `npm test`.
 * A new suite that touches a repository or a migration is added here.
 */
const base = require('./jest.config.js');

const e2eOnPostgres = [
  'experiments',
  'history-import',
  'hostile-input',
  'ingestion-durability',
  'pipeline-durability',
  'playbook-impact',
  'profile-merge',
  'tenancy-and-auth',
];
// input-limits stores strings at their caps: a column shorter than its cap fails only on PostgreSQL
const securityOnPostgres = ['input-limits', 'probes', 'property-inputs'];

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  // smallest first: see the sequencer for why, beside the SQLite run in CI
  testSequencer: '<rootDir>/test/fixtures/smallest-first-sequencer.js',
  testMatch: [
    '<rootDir>/test/integration/**/*.test.ts',
    ...e2eOnPostgres.map((name) => `<rootDir>/test/e2e/${name}.test.ts`),
    ...securityOnPostgres.map((name) => `<rootDir>/test/security/${name}.test.ts`),
  ],
};
