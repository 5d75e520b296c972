// Lint: the recommended JavaScript and TypeScript rules on sources, tests and the bench, plus the
// type-aware promise rules on TypeScript (a promise is awaited, or deliberately dropped with `void`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const csvPaths = ['csv-stringify', 'csv-stringify/sync'].map((name) => ({ name, message: 'Write CSV with csvText() from src/web/spreadsheet-safety.ts.' }));
// Another capability's files are reached only through its index.ts; web/ and infra/ are shared plumbing.
// Same-folder files (./x.js, ./scheduler/index.js inside a capability) are not matched.
const boundary = (reach, allowed) => ({
  group: [...reach, ...allowed.map((p) => `!${p}`), ...reach.map((r) => `!${r.replace('*/**', 'web/**')}`), ...reach.map((r) => `!${r.replace('*/**', 'infra/**')}`)],
  message: "Import another capability only through its public face, '../<capability>/index.js' (README, code map).",
});

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
      'no-restricted-properties': ['error',
        ...['writeBuffer', 'writeFile'].map((property) => ({ property, message: 'Write workbooks with xlsxBuffer() from src/web/spreadsheet-safety.ts.' })),
        { property: 'WorkbookWriter', message: 'A streaming workbook must add every row with addSafeRow() from src/web/spreadsheet-safety.ts.' },
      ],
    },
  },
  // Module boundaries: another capability is used only through its public face, ../<capability>/index.js.
  // csv-stringify and the boundary share one no-restricted-imports entry per file set, because a later
  // config object's no-restricted-imports replaces an earlier one's for the same files.
  {
    files: ['src/*/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: csvPaths, patterns: [boundary(['../*/**', '../../*/**'], ['../*/index.js', '../../*/index.js'])] }] },
  },
  {
    // src/app.ts, cli.ts, server.ts: the capabilities sit one level down.
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: csvPaths, patterns: [boundary(['./*/**'], ['./*/index.js'])] }] },
  },
  {
    // The one CSV writer may use csv-stringify itself.
    files: ['src/web/spreadsheet-safety.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [boundary(['../*/**'], ['../*/index.js'])] }] },
  },
  {
    // The one model registry binds each capability's model.ts to the connection: model files are pure
    // schemas, and importing the plugins' index.ts here would pull the whole app into every model user.
    files: ['src/infra/models.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: csvPaths, patterns: [boundary(['../*/**'], ['../*/index.js', '../*/model.js'])] }] },
  },
);
