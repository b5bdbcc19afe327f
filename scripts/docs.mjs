#!/usr/bin/env node
// Regenerates, or checks, the log excerpts in docs/ from a real run of the built server.
//   node scripts/docs.mjs --check   fails when the docs' log lines drift from what the server prints
//   node scripts/docs.mjs --update  rewrites the excerpts from a fresh run
// A block in a doc is marked `<!-- docs:log NAME -->` … `<!-- /docs:log -->`. Lines are compared
// after normalising what changes from run to run (times, durations, addresses, the filesystem).
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mode = process.argv[2];
if (mode !== '--check' && mode !== '--update') {
  console.error('usage: node scripts/docs.mjs --check|--update');
  process.exit(2);
}

/** One session: start with the bundled config, wait for ready, SIGHUP, wait for the reload, SIGINT. */
async function session() {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-docs-'));
  copyFileSync(join(root, 'prometheus.yml'), join(dir, 'prometheus.yml'));
  cpSync(join(root, 'rules'), join(dir, 'rules'), { recursive: true });
  const child = spawn(process.execPath, [join(root, 'dist/cmd/prometheus.js'), '--config.file=prometheus.yml', '--web.listen-address=127.0.0.1:0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const waiters = [];
  child.stderr.on('data', (d) => {
    err += d;
    for (const w of waiters.splice(0)) w();
  });
  const until = (re, n = 1) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}\n${err}`)), 15000);
      const check = () => ((err.match(new RegExp(re, 'g')) ?? []).length >= n ? (clearTimeout(timer), resolve()) : waiters.push(check));
      check();
    });
  await until('Server is ready to receive web requests');
  child.kill('SIGHUP');
  await until('Completed loading of configuration file', 2);
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  return err.trim().split('\n');
}

const normalise = (line) =>
  line
    .replace(/^time=\S+ /, '')
    .replace(/\b\d+(\.\d+)?(ms|µs|s)\b/g, '<duration>')
    .replace(/address=\S+/, 'address=<address>')
    .replace(/fs_type=\S+/, 'fs_type=<fs>')
    .replace(/version=\S+/, 'version=<version>')
    .replace(/ (node|host_details)=("[^"]*"|\S+)/g, ' $1=<…>');

const lines = await session();
const doc = join(root, 'docs/startup.md');
const text = readFileSync(doc, 'utf8');
const block = /(<!-- docs:log session -->\n```text\n)([\s\S]*?)\n?(```\n<!-- \/docs:log -->)/;
const match = block.exec(text);
if (!match) {
  console.error(`${doc}: no <!-- docs:log session --> block`);
  process.exit(1);
}
if (mode === '--update') {
  writeFileSync(doc, text.replace(block, (_, open, _old, close) => `${open}${lines.join('\n')}\n${close}`));
  console.log(`docs/startup.md: ${lines.length} log lines regenerated`);
} else {
  const want = match[2].split('\n').map(normalise);
  const got = lines.map(normalise);
  const diff = [];
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] !== got[i]) diff.push(`line ${i + 1}:\n  docs:   ${want[i] ?? '(none)'}\n  server: ${got[i] ?? '(none)'}`);
  }
  if (diff.length > 0) {
    console.error(`docs/startup.md: the log excerpt drifted from what the server prints (run npm run docs:update):\n${diff.slice(0, 5).join('\n')}`);
    process.exit(1);
  }
  console.log(`docs/startup.md: ${got.length} log lines match a fresh run`);
}
