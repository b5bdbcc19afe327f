#!/usr/bin/env node
// Bundles the entry points with esbuild, after tsc (`npm run build` runs it): cmd/main.ts (what
// cmd/prometheus.ts imports once it listens for signals) and cmd/promtool.ts each become one
// CommonJS file in dist/cmd (main.cjs, promtool.cjs) holding our modules and the dependencies, so
// that startup reads one file instead of resolving and loading some seven hundred. tsc's
// dist/cmd/main.js and promtool.js are replaced by stubs that run the bundle through V8's code
// cache (cmd/code-cache.ts); the public paths stay dist/cmd/prometheus.js (tsc's, no static
// imports) and dist/cmd/promtool.js. CommonJS, not ESM, because only a script (vm.Script) takes a
// code cache on Node 20; what main imports dynamically is still evaluated only on first use (esbuild
// wraps such a module in a function it calls then). dist/src stays tsc's, module by module: the
// conformance checks and the benches import it, and the worker threads load their files from there.
// cmd/rundemo.ts (the run group demo, whose startup nobody times) stays tsc's.
//
// In a bundle, `import.meta.url` would be lost: a module finds files relative to where tsc put it
// (the worker scripts next to it, package.json, the pages' assets), so each use is rewritten to
// that file's URL, computed from the bundle's own directory.
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist/cmd');

/** Rewrites `import.meta.url` in our sources to the URL of the file tsc built from them. */
const builtLocation = {
  name: 'built-location',
  setup(b) {
    b.onLoad({ filter: /\/(src|cmd)\/.*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const built = join(root, 'dist', relative(root, args.path)).replace(/\.ts$/, '.js');
      const fromBundle = relative(outdir, built).split('\\').join('/');
      const url = `require('node:url').pathToFileURL(require('node:path').join(__dirname, ${JSON.stringify(fromBundle)})).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * prom-client's index also loads its cluster aggregator, Pushgateway and default metrics, and with
 * them Node's cluster, child_process, https and @opentelemetry/api, at every start. miniprom uses
 * five of its classes (its own modules define the metrics); in the bundles `prom-client` is those
 * five, from the package's own files. The build fails if a source imports any other value from it.
 */
const PROM_CLIENT_CLASSES = { Registry: 'registry', Counter: 'counter', Gauge: 'gauge', Histogram: 'histogram', Summary: 'summary' };
const promClientClasses = {
  name: 'prom-client-classes',
  setup(b) {
    b.onResolve({ filter: /^prom-client$/ }, (args) => {
      const source = readFileSync(args.importer, 'utf8');
      for (const [, names] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'prom-client'/g)) {
        for (const name of names.split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type '))) {
          if (!(name in PROM_CLIENT_CLASSES)) throw new Error(`${args.importer} imports ${name} from prom-client; add it to PROM_CLIENT_CLASSES`);
        }
      }
      return { path: 'prom-client', namespace: 'prom-client-classes' };
    });
    b.onLoad({ filter: /.*/, namespace: 'prom-client-classes' }, () => {
      const lines = Object.entries(PROM_CLIENT_CLASSES).map(([name, file]) => `exports.${name} = require('prom-client/lib/${file}');`);
      return { contents: lines.join('\n'), resolveDir: root, loader: 'js' };
    });
  },
};

/**
 * Modules that dependencies require at load but use rarely, loaded on first use in the bundles
 * instead: fastify's lib/server.js requires node:https, node:http2 and node:dns for the servers it
 * can make itself, where miniprom makes its own (serverFactory) — http2 alone costs 3-8 ms at every
 * start; commander requires node:child_process for subcommands miniprom does not have;
 * @fastify/static requires glob (its largest dependency) for directory listings and
 * content-disposition for downloads, neither of which miniprom serves; pino requires
 * thread-stream (and node:worker_threads) for transports miniprom does not use. Each entry is the line as
 * the file has it and its lazy replacement; the build fails if a file no longer has the line.
 */
const lazyModule = (name, id) => `const ${name} = new Proxy({}, { get: (_, key) => require('${id}')[key] })`;
const LAZY_REQUIRES = [
  {
    file: /node_modules\/fastify\/lib\/server\.js$/,
    lines: ['https', 'http2', 'dns'].map((m) => [`const ${m} = require('node:${m}')`, lazyModule(m, `node:${m}`)]),
  },
  {
    file: /node_modules\/commander\/lib\/command\.js$/,
    lines: [["const childProcess = require('node:child_process')", lazyModule('childProcess', 'node:child_process')]],
  },
  {
    // pino asks whether it runs on the main thread only when it makes an asynchronous destination.
    file: /node_modules\/pino\/lib\/tools\.js$/,
    lines: [
      ["const { isMainThread } = require('worker_threads')", ''],
      ['if (!opts.sync && isMainThread) {', "if (!opts.sync && require('worker_threads').isMainThread) {"],
    ],
  },
  {
    // pino's transports run in worker threads (thread-stream); miniprom logs to stderr itself.
    file: /node_modules\/pino\/lib\/transport\.js$/,
    lines: [["const ThreadStream = require('thread-stream')", "const ThreadStream = function (...args) { return new (require('thread-stream'))(...args) }"]],
  },
  {
    file: /node_modules\/@fastify\/static\/index\.js$/,
    lines: [
      ["const { glob } = require('glob')", "const glob = (...args) => require('glob').glob(...args)"],
      ["const contentDisposition = require('content-disposition')", "const contentDisposition = (...args) => require('content-disposition')(...args)"],
    ],
  },
];
const lazyRequires = {
  name: 'lazy-requires',
  setup(b) {
    for (const { file, lines } of LAZY_REQUIRES) {
      b.onLoad({ filter: file }, (args) => {
        let source = readFileSync(args.path, 'utf8');
        for (const [eager, lazy] of lines) {
          if (!source.includes(eager)) throw new Error(`${args.path}: no \`${eager}\` to make lazy`);
          source = source.replace(eager, lazy);
        }
        return { contents: source, loader: 'js' };
      });
    }
  },
};

/** How CommonJS wraps a module; the bundles are written so (cmd/code-cache.ts runs them). */
const WRAPPER = '(function (exports, require, module, __filename, __dirname) {';

/** The stub that replaces tsc's `dist/cmd/<name>.js`: runs `<name>.cjs` with the code cache. */
function stub(name, buildId, { bin, exports, untilReady }) {
  const lines = [
    ...(bin ? ['#!/usr/bin/env node'] : []),
    `// Written by scripts/build-cmd.mjs: cmd/${name}.ts, bundled into ${name}.cjs, run with V8's code cache.`,
    "import { runBundle } from './code-cache.js';",
    '',
    `const bundle = runBundle(new URL('./${name}.cjs', import.meta.url), '${buildId}'${untilReady ? ', { untilReady: true }' : ''});`,
    ...exports.map((e) => `export const ${e} = bundle.${e};`),
  ];
  return `${lines.join('\n')}\n`;
}

// A rebuilt bundle gets a new build id; the old caches go with the old build.
rmSync(join(outdir, '.v8-cache'), { recursive: true, force: true });
const entries = [
  // The server's cache is written by the first run that got it ready (cmd/code-cache.ts).
  { name: 'main', bin: false, exports: ['main'], untilReady: true },
  { name: 'promtool', bin: true, exports: [] },
];
let bytes = 0;
for (const entry of entries) {
  const outfile = join(outdir, `${entry.name}.cjs`);
  await build({
    absWorkingDir: root,
    entryPoints: [`cmd/${entry.name}.ts`],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    legalComments: 'linked',
    tsconfig: 'tsconfig.json',
    logLevel: 'warning',
    plugins: [builtLocation, promClientClasses, lazyRequires],
    // Smaller source, less to read and keep (V8 holds a script's source). Identifiers are not
    // minified, so functions keep their names; only where two modules' top-level names collide
    // does esbuild rename one (`parse2`). keepNames would restore those with a defineProperty on
    // every function (~5,000 calls): 5.5 MiB of RSS at ready and a few ms, for names nothing reads
    // (no miniprom class is renamed; the renamed are dependencies' internals, e.g. re2js's Parser).
    minifyWhitespace: true,
    minifySyntax: true,
    // Not read at run time (the bundle names no map); a profile of the bundle is mapped back to
    // our sources and packages with it (see ARCHITECTURE.md's note on profiling startup).
    sourcemap: 'external',
  });
  // The file holds the function CommonJS would wrap the module in, so that the one string read is
  // the script V8 keeps (a wrapper added at load would be a second copy of a few megabytes).
  writeFileSync(outfile, `${WRAPPER}${readFileSync(outfile, 'utf8').replace(/^#!.*\n/, '')}\n})`);
  // cmd/code-cache.ts reads the bundle as Latin-1, which is ~10× faster than decoding UTF-8 and
  // the same text when every byte is ASCII (esbuild escapes non-ASCII in strings, not in regexes).
  const nonAscii = /[^\x00-\x7f]/.exec(readFileSync(outfile, 'latin1'));
  if (nonAscii) throw new Error(`${outfile}: a non-ASCII byte at ${nonAscii.index} (escape it in the source, e.g. \\u2019)`);
  const code = readFileSync(outfile);
  bytes += code.length;
  const buildId = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const stubFile = join(outdir, `${entry.name}.js`);
  writeFileSync(stubFile, stub(entry.name, buildId, entry));
  if (entry.bin) chmodSync(stubFile, 0o755);
}
// tsc's copies of what the bundles hold (main's and promtool's own modules) would only mislead.
for (const name of ['main.js.map', 'flags.js', 'flags.js.map', 'promtool-query.js', 'promtool-query.js.map', 'promtool-rules.js', 'promtool-rules.js.map', 'promtool.js.map']) {
  rmSync(join(outdir, name), { force: true });
}
console.log(`cmd: ${entries.map((e) => e.name).join(', ')} bundled into dist/cmd (${(bytes / 1024).toFixed(0)} KiB)`);
