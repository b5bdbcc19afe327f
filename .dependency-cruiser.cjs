/**
 * The codemap's import rules (ARCHITECTURE.md), checked: `npm run lint` runs this, and
 * test/codemap.test.ts shows it fails on a wrong import and that ARCHITECTURE.md's "may import"
 * column says exactly what `mayImport` below says.
 *
 * - Each module under src/ may import only the modules listed for it (cmd/ may import any).
 * - src/run imports nothing of ours: it is oklog/run, and knows nothing of Prometheus.
 * - Another module is reached only through its index.ts, its whole public surface.
 */

/** Module → the modules it may import (of ours). The test reads it back from the rules below. */
const mayImport = {
  run: [],
  lanes: [],
  lifecycle: ['lanes', 'run'],
  golang: [],
  regex: [],
  log: [],
  relabel: ['regex'],
  config: ['relabel'],
  httpclient: ['config'],
  discovery: ['config'],
  storage: ['config', 'regex'],
  scrape: ['config', 'golang', 'httpclient', 'run', 'storage'],
  remote: ['config', 'httpclient', 'relabel', 'storage'],
  promql: ['config', 'golang', 'regex', 'storage'],
  template: ['config', 'golang', 'regex'],
  rules: ['config', 'golang', 'promql', 'run', 'storage', 'template'],
  notifier: ['config', 'httpclient', 'relabel'],
  tracing: ['config'],
  web: ['config', 'golang', 'lanes', 'promql', 'regex', 'storage'],
};

const modules = Object.keys(mayImport);

module.exports = {
  forbidden: [
    ...modules.map((name) => ({
      name: `codemap-${name}`,
      comment: `src/${name} may import only: ${mayImport[name].join(', ') || 'nothing of ours'} (ARCHITECTURE.md)`,
      severity: 'error',
      from: { path: `^src/${name}/` },
      to: { path: '^src/', pathNot: [`^src/${name}/`, ...mayImport[name].map((m) => `^src/${m}/`)] },
    })),
    {
      name: 'not-through-index',
      comment: "a module's index.ts is its whole public surface: import another module only through it",
      severity: 'error',
      from: { path: '^(src/[^/]+|cmd)/' },
      to: { path: '^src/([^/]+)/', pathNot: ['^src/[^/]+/index\\.ts$', '^$1/'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: the codemap is about what a module knows, not what it ships.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
