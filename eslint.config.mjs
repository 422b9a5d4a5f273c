// ESLint 9 flat config, with the rules the JupyterLab extension template uses for TypeScript.
import js from '@eslint/js';
import jupyter from '@jupyter/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** The JupyterLab extension's own code: the frontend and its Galata tests. */
const FRONTEND = ['src/**/*.{ts,tsx}', 'ui-tests/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'lib/',
      'jupyterlab_ariel/labextension/',
      'ui-tests/test-results/',
      'ui-tests/playwright-report/',
      'node_modules/',
      '.venv/',
      'examples/',
      'coverage/'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
      eqeqeq: 'error',
      curly: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // The frontend follows JupyterLab's API style: option types and command ids in namespaces.
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    rules: { '@typescript-eslint/no-namespace': 'off' }
  },
  // JupyterLab's own rules (plugin ids and descriptions, commands, tokens, signals), for the frontend only.
  // (A file matches an array inside `files` when it matches every pattern of it.) The settings'
  // schemas are JupyterLab's (schema/jupyterlab/); schema/*.json is the project config's.
  ...jupyter.configs.recommended.map(config =>
    config.files
      ? {
          ...config,
          files: config.files.flatMap(glob =>
            glob.endsWith('.json') ? ['schema/jupyterlab/*.json'] : FRONTEND.map(scope => [scope, glob])
          )
        }
      : config
  ),
  {
    // Ariel's UI is in English only: it takes no ITranslator, so its strings are not wrapped in trans.__().
    files: FRONTEND,
    rules: { 'jupyter/no-untranslated-string': 'off' }
  },
  {
    // The rules of hooks, as JupyterLab and the extension template check them (not the React Compiler's).
    files: ['src/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' }
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } }
  },
  {
    // jest and babel read their configs as CommonJS.
    files: ['jest.config.js', 'babel.config.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' }
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  }
);
