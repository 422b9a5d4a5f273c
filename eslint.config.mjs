// ESLint 9 flat config, with the rules the JupyterLab extension template uses for TypeScript.
import js from '@eslint/js';
import jupyter from '@jupyter/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/**
 * server/'s layers, top to bottom, as imports they may not make (relative import paths, as
 * written in a file one folder below server/). Arrows point down only; the wire contract
 * (http/contract.ts, types only) is the one file of an upper folder that every layer may name.
 */
const ENTRY_POINTS = 'cli|http|launcher|bench';
const LAYERS = [
  {
    folders: ['cli', 'http'],
    // The job history and the cloud modules are the application layer's to orchestrate.
    forbidden: '^\\.\\./(history|cloud)/',
    message: 'The CLI and the HTTP edge reach the job history and the cloud modules through server/app.'
  },
  {
    folders: ['app'],
    forbidden: `^\\.\\./(${ENTRY_POINTS.replace('|http', '')})/|^\\.\\./http/(?!contract\\.js$)`,
    message: 'server/app is below the entry points: it may not import them (the wire contract excepted).'
  },
  {
    folders: ['kernels', 'run', 'cloud', 'drift'],
    forbidden: `^\\.\\./(app|${ENTRY_POINTS.replace('|http', '')})/|^\\.\\./http/(?!contract\\.js$)`,
    message: 'Services are below server/app and the entry points: they may not import them.'
  },
  {
    folders: ['cloud'],
    forbidden: '^\\.\\./run/',
    message: 'cloud/ does not reach sideways into run/: what both need lives below them (e.g. server/targets).'
  },
  {
    folders: ['run', 'kernels'],
    forbidden: '^\\.\\./cloud/',
    message: 'run/ and kernels/ do not reach sideways into cloud/.'
  },
  {
    folders: ['docker', 'dockerfile', 'experiments', 'targets', 'distributed', 'project'],
    forbidden: `^\\.\\./(app|kernels|run|cloud|drift|${ENTRY_POINTS.replace('|http', '')})/|^\\.\\./http/(?!contract\\.js$)`,
    message: 'The engine, generation and inputs are below the services: they may not import them.'
  },
  {
    folders: ['history'],
    forbidden: `^\\.\\./(app|kernels|run|cloud|drift|${ENTRY_POINTS.replace('|http', '')})/|^\\.\\./http/(?!contract\\.js$)`,
    // The history records the specs of local and cloud jobs, typed by platform.
    allowTypeImports: true,
    message:
      'The job history is below the services: it may name the types of their job specs, and import nothing else of them.'
  }
];

/** One restricted-imports rule per folder with all its layers' patterns (a later config of the same rule would replace, not add). */
function layerRules() {
  const folders = [...new Set(LAYERS.flatMap(layer => layer.folders))];
  return folders.map(folder => ({
    files: [`server/${folder}/**/*.ts`],
    ignores: ['server/**/*.test.ts', 'server/**/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: LAYERS.filter(layer => layer.folders.includes(folder)).map(layer => ({
            regex: layer.forbidden,
            message: layer.message,
            allowTypeImports: layer.allowTypeImports ?? false
          }))
        }
      ]
    }
  }));
}

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
  // The layers of server/ (ARCHITECTURE.md), kept by the imports each folder may not make. Tests
  // and their helpers may reach across (fixtures, fakes); the code they test may not.
  ...layerRules(),
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
