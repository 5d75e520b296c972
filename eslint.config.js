// Lint: the recommended JavaScript and TypeScript rules, on sources and tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bench/**', 'node_modules/**', 'data/**', '.tap/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
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
