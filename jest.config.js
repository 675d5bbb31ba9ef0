/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  // Integration and e2e suites open sockets to Redis and SQL; they close them in afterAll.
  // the gateway's upstream graphql-ws clients close idle sockets after a 3 s grace timer
  openHandlesTimeout: 5000,
};
