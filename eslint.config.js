// Lint: the recommended JavaScript and TypeScript rules on sources, tests and the bench, plus the
// type-aware promise rules on TypeScript (a promise is awaited, or deliberately dropped with `void`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'data/**', '.tap/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['public/js/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // tap queues every subtest and waits for it itself, and a failing subtest is a failed assertion, not a
      // rejection: `t.test(…)` needs no await.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: ['test', 'todo', 'skip', 'only'] }] }],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // Every CSV and .xlsx the platform writes goes through src/web/spreadsheet-safety.ts (no formula cells).
    files: ['src/**/*.ts'],
    ignores: ['src/web/spreadsheet-safety.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['csv-stringify', 'csv-stringify/sync'].map((name) => ({ name, message: 'Write CSV with csvText() from src/web/spreadsheet-safety.ts.' })) }],
      'no-restricted-properties': ['error',
        ...['writeBuffer', 'writeFile'].map((property) => ({ property, message: 'Write workbooks with xlsxBuffer() from src/web/spreadsheet-safety.ts.' })),
        { property: 'WorkbookWriter', message: 'A streaming workbook must add every row with addSafeRow() from src/web/spreadsheet-safety.ts.' },
      ],
    },
  },
);
