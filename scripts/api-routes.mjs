#!/usr/bin/env node
// Regenerates test/fixtures/inventory/api-routes.json: every route upstream's web/api/v1/api.go
// registers in (*API).Register at the tag the project follows, read from the bare mirror of
// prometheus/prometheus. The inventory test checks each against the live reference Prometheus
// and against test/fixtures/inventory/inventory.json.
//   node scripts/api-routes.mjs [--mirror <git dir>] [--tag v3.5.3]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const mirror = opt('--mirror', process.env.PROMETHEUS_MIRROR ?? '/work/.mirror/prometheus+prometheus/repo');
const tag = opt('--tag', 'v3.5.3');
const source = execFileSync('git', ['--git-dir', mirror, 'show', `${tag}:web/api/v1/api.go`], { encoding: 'utf8' });

const register = /^func \(api \*API\) Register\(r \*route\.Router\) \{$([\s\S]*?)^\}$/m.exec(source);
if (!register) throw new Error('(*API).Register not found in web/api/v1/api.go');
const METHODS = { Get: 'GET', Post: 'POST', Put: 'PUT', Del: 'DELETE', Options: 'OPTIONS' };
const routes = [...register[1].matchAll(/\br\.(Get|Post|Put|Del|Options)\("([^"]+)"/g)].map((m) => ({
  method: METHODS[m[1]],
  path: `/api/v1${m[2]}`,
}));

const out = fileURLToPath(new URL('../test/fixtures/inventory/api-routes.json', import.meta.url));
writeFileSync(
  out,
  `${JSON.stringify({ source: `prometheus/prometheus ${tag} web/api/v1/api.go (*API).Register`, routes }, null, 2)}\n`,
);
console.log(`${routes.length} routes written to ${out}`);
