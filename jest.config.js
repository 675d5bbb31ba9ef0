/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['reflect-metadata'],
  // a bound for a test that hangs, not a speed check: a passing test ends when its facts hold, and
  // a CI runner with both jest runs on two cores can take well over 30 s to start a stack and wait
  testTimeout: 120_000,
  // One test file at a time (`--maxWorkers=1` in the scripts), in a worker process that is replaced
  // once it holds more than this after a file: each file loads its own copy of the schema builders
  // and ORM metadata, and a single process running them all in band grew past 4 GB, after which
  // garbage collection made the last suites several times slower than the first.
  workerIdleMemoryLimit: '1GB',
  // Integration and e2e suites open sockets to Redis and SQL; they close them in afterAll.
  // the gateway's upstream graphql-ws clients close idle sockets after a 3 s grace timer
  openHandlesTimeout: 5000,
};
