// Bundles the entry points that users wait on, the CLI, the kernel launcher and the companion server,
// into single files: loading dockerode and friends from hundreds of small modules
// costs more than half a second per start, one file about a tenth of that.
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// The compiled server is ES modules. Only its folders say so: a "type": "module" at the
// repo root would also apply to the JavaScript inside .venv (jupyter_builder's yarn.js).
writeFileSync('dist/server/package.json', '{ "type": "module" }\n');

/**
 * Parts of the Docker client Ariel does not use on its paths (BuildKit sessions over gRPC,
 * SSH connections to remote engines) are left out of the bundle and loaded from
 * node_modules the first time they are called: loading them costs every start ~100 ms.
 */
const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    const stubs = {
      // dockerode/lib/docker.js: `withSession = require('./session')`, called for BuildKit builds only.
      'dockerode/lib/session.js': "module.exports = (...args) => require('dockerode/lib/session.js')(...args);",
      'dockerode/lib/buildkit.js':
        "module.exports = new Proxy({}, { get: (_, key) => require('dockerode/lib/buildkit.js')[key] });",
      // docker-modem/lib/ssh.js: `var Client = require('ssh2').Client`, constructed for ssh:// hosts only.
      ssh2: "module.exports = { Client: function Client(...args) { return new (require('ssh2').Client)(...args); } };"
    };
    // The stubs' own require() calls run at run time, from node_modules.
    build.onResolve({ filter: /.*/, namespace: 'lazy' }, args => ({ path: args.path, external: true }));
    build.onResolve({ filter: /^(\.\/session|\.\/buildkit|ssh2)$/ }, args => {
      const key = args.path === 'ssh2' ? 'ssh2' : `dockerode/lib/${args.path.slice(2)}.js`;
      if (key !== 'ssh2' && !/node_modules[\\/]dockerode[\\/]/.test(args.importer)) {
        return undefined;
      }
      return { path: key, namespace: 'lazy' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, args => ({ contents: stubs[args.path], loader: 'js' }));
  }
};

/**
 * Packages the bundles load from node_modules at run time: better-sqlite3 (native, loaded by the
 * history commands only), the Vertex AI client (its protos are read from its own files), and what
 * the lazy stubs above require. The wheel carries them with their dependencies (scripts/hatch_build.py
 * reads this list from dist/server/node-modules.json).
 */
const packagesLoadedAtRunTime = ['better-sqlite3', '@google-cloud/aiplatform', '@grpc/grpc-js', 'google-auth-library'];
writeFileSync(
  'dist/server/node-modules.json',
  `${JSON.stringify([...packagesLoadedAtRunTime, 'dockerode', 'ssh2'], null, 2)}\n`
);

/**
 * The Node.js that better-sqlite3 (native) was compiled for, for the check that names it when
 * another Node.js loads the module (server/history/native.ts), and for the wheel, which carries
 * the module. A native module exports node_register_module_v<NODE_MODULE_VERSION>.
 */
const sqliteBinary = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
const compiledFor = /node_register_module_v(\d+)/.exec(readFileSync(sqliteBinary, 'latin1'))?.[1];
if (compiledFor !== process.versions.modules) {
  console.error(
    `error: ${sqliteBinary} was compiled for NODE_MODULE_VERSION ${compiledFor ?? '(unknown)'}, but this Node.js ` +
      `${process.version} has ${process.versions.modules}: run \`npm rebuild better-sqlite3\` with this Node.js, then build again.`
  );
  process.exit(1);
}
writeFileSync(
  'dist/server/build-info.json',
  `${JSON.stringify({ node: process.version, modules: process.versions.modules }, null, 2)}\n`
);

await build({
  entryPoints: [
    { in: 'server/cli/main.ts', out: 'cli/main' },
    // Installed kernelspecs name this bundle by its path: it keeps the name it had before the
    // launcher's source moved beside the other entry points.
    { in: 'server/launcher/main.ts', out: 'kernels/launch' },
    { in: 'server/http/main.ts', out: 'http/main' }
  ],
  outdir: 'dist/server',
  outExtension: { '.js': '.bundle.mjs' },
  bundle: true,
  platform: 'node',
  // jsonc-parser's "main" is a UMD build that esbuild cannot follow; its ES build bundles cleanly.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20',
  // Optional native parts of ssh2 (SSH engine connections); loaded from node_modules when present.
  external: ['cpu-features', '*.node', ...packagesLoadedAtRunTime],
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
  plugins: [lazyModules],
  logLevel: 'warning'
});
