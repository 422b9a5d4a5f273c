// Bundles the two entry points that users wait on, the CLI and the kernel launcher,
// into single files: loading dockerode and friends from hundreds of small modules
// costs more than half a second per start, one file about a tenth of that.
import { build } from 'esbuild';

await build({
  entryPoints: ['server/cli/main.ts', 'server/kernels/launch.ts'],
  outdir: 'dist/server',
  outbase: 'server',
  outExtension: { '.js': '.bundle.mjs' },
  bundle: true,
  platform: 'node',
  // jsonc-parser's "main" is a UMD build that esbuild cannot follow; its ES build bundles cleanly.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20',
  // Optional native parts of ssh2 (SSH engine connections); loaded from node_modules when present.
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies expect these in ES module output.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      "import { dirname as __dirnameOf } from 'node:path';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      'const __dirname = __dirnameOf(__filename);'
    ].join(' ')
  },
  logLevel: 'warning'
});
