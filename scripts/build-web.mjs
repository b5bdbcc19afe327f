#!/usr/bin/env node
// Bundles the pages' browser code (src/web/ui) into dist/web/assets with esbuild: one script and
// one stylesheet per page, shared code split into chunks. Run by `npm run build` after tsc, so
// `npm start` and `npm test` need no extra step; the server serves the result at /assets/.
// esbuild's JS API finds its binary in the platform package (@esbuild/<os>-<arch>) by itself: its
// postinstall script (which npm may not run) is an optimisation, not a requirement.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/web/assets`;
const pages = ['lifecycle', 'query', 'targets', 'rules', 'alerts', 'config'];

// Old chunks would otherwise pile up: their names carry a content hash.
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(pages.map((page) => [page, `src/web/ui/${page}.ts`])),
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  // What Chromium, Firefox and Safari of the last few years run; no polyfills needed.
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  platform: 'browser',
  minify: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // The bundled libraries' licence comments (CodeMirror, uPlot, Prometheus's codemirror-promql).
  legalComments: 'linked',
  tsconfig: 'src/web/ui/tsconfig.json',
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, out) => sum + out.bytes, 0);
console.log(`web: ${pages.length} pages bundled into dist/web/assets (${(bytes / 1024).toFixed(0)} KiB with maps)`);
