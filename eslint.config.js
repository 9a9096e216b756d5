// Lint for every workspace: typescript-eslint's recommended rules plus the few
// that catch real bugs in async service code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/src/generated/**',
      '**/src/db/generated/**',
      '.hms/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: false },
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always'],
      'no-return-await': 'off',
    },
  },
  {
    // k6 scripts run in k6's JavaScript runtime, which provides these.
    files: ['k6/**/*.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly' } },
  },
  {
    // Example programs run on Node as they are.
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { fetch: 'readonly' } },
  },
  {
    files: ['**/*.test.ts', 'e2e/**', 'scripts/**', 'bench/**', 'k6/**', 'examples/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // k6 scripts run in k6's JavaScript runtime, which has globals of its own.
    files: ['k6/**/*.js'],
    languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' } },
  },
  {
    // The layers of a service: domain code decides and knows no transport, no
    // storage and no other layer of its service; src/db, src/grpc, src/events
    // and src/http depend on it, never the reverse.
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@hms/platform',
              message: 'domain code uses @hms/platform/domain (errors, ids, calendar, pending events) only',
            },
          ],
          patterns: [
            {
              group: ['@grpc/*', 'kafkajs', '@prisma/*', 'prisma', 'express', 'pg', 'ioredis', 'pino'],
              message: 'domain code knows no transport or storage library: put it behind a port (a ...Store)',
            },
            {
              group: [
                '**/db',
                '**/db/**',
                '**/grpc',
                '**/grpc/**',
                '**/events',
                '**/events/**',
                '**/http',
                '**/http/**',
              ],
              message: 'domain code imports no other layer of its service; they import the domain',
            },
          ],
        },
      ],
    },
  },
);
