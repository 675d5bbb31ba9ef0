// ESLint flat config: typescript-eslint's recommended rules, plus the rule that keeps pure domain
// code free of frameworks and I/O (see DESIGN.md, "domain/: pure functions, no I/O").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const FRAMEWORKS = ['graphql', 'type-graphql', '@mikro-orm/*', 'bullmq', 'ioredis', 'node:*'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['subgraphs/*/domain/**/*.ts', 'subgraphs/common/math/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: FRAMEWORKS.map((group) => ({ group: [group], message: 'domain code is pure: no frameworks or I/O' })) }],
    },
  },
);
