import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
    },
  },
  {
    // The pure core is shared by Node and GJS: no Node built-ins, no gi:// imports.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {patterns: ['node:*', 'gi://*', 'resource://*', 'fs', 'net', 'os', 'path', 'child_process']}],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {globals: {console: 'readonly', process: 'readonly', URL: 'readonly'}},
  },
);
