#!/usr/bin/env node
// Regenerates, or checks, the sessions shown in the docs from real runs of the built server.
//   node scripts/docs.mjs --check   fails when a doc drifts from what the server prints
//   node scripts/docs.mjs --update  rewrites them from fresh runs
// Three blocks, each `<!-- docs:log NAME -->` … `<!-- /docs:log -->`:
//   docs/startup.md `session`: start with the bundled config, one SIGHUP, Ctrl+C; the raw log.
//   docs/startup.md `trace`: what --startup.trace prints at exit (chart and critical chains).
//   README.md `readme`: start with --web.enable-lifecycle, curl /-/ready, a query once miniprom
//   has scraped itself twice, POST /-/reload, Ctrl+C; shown as a terminal session, with `time=…`
//   and the address `npm start` would print.
// Lines are compared after normalising what changes from run to run (times, durations, addresses,
// the filesystem), never byte for byte.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const mode = process.argv[2];
if (mode !== '--check' && mode !== '--update') {
  console.error('usage: node scripts/docs.mjs --check|--update');
  process.exit(2);
}

const READY = 'Server is ready to receive web requests';

/**
 * Runs the server on the bundled config in a scratch dir, lets `drive` act on it, and returns its
 * log lines once it has exited. `drive` gets `until(re, n)` (resolves once `re` has matched n log
 * lines), the child, and `base()`, the server's URL once it listens.
 */
async function run(args, drive, { port = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'miniprom-docs-'));
  // On a port of its own, the bundled config's self-scrape (localhost:9090) points at this run.
  const config = readFileSync(join(root, 'prometheus.yml'), 'utf8');
  writeFileSync(join(dir, 'prometheus.yml'), port ? config.replace("'localhost:9090'", `'localhost:${port}'`) : config);
  cpSync(join(root, 'rules'), join(dir, 'rules'), { recursive: true });
  const child = spawn(
    process.execPath,
    [
      join(root, 'dist/cmd/prometheus.js'),
      '--config.file=prometheus.yml',
      `--web.listen-address=127.0.0.1:${port}`,
      ...args,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let err = '';
  const waiters = [];
  child.stderr.on('data', (d) => {
    err += d;
    for (const w of waiters.splice(0)) w();
  });
  const until = (re, n = 1) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}\n${err}`)), 15000);
      const check = () =>
        (err.match(new RegExp(re, 'g')) ?? []).length >= n ? (clearTimeout(timer), resolve()) : waiters.push(check);
      check();
    });
  const base = () => `http://${/msg="Start listening for connections".* address=(\S+)/.exec(err)?.[1]}`;
  try {
    await drive({ until, child, base });
    await exited;
  } finally {
    child.kill('SIGKILL'); // only if drive failed: it has exited otherwise
    rmSync(dir, { recursive: true, force: true });
  }
  return err.trim().split('\n');
}

const normalise = (line) =>
  line
    .replace(/^time=\S+ /, '')
    .replace(/\s+← .*$/, '') // the README's annotations
    .replace(/\b\d+(\.\d+)?(ms|µs|s)\b/g, '<duration>')
    .replace(/address=\S+/, 'address=<address>')
    .replace(/fs_type=\S+/, 'fs_type=<fs>')
    .replace(/version=\S+/, 'version=<version>')
    // A query's answer: its sample times and values change from run to run.
    .replace(/\[\d+(\.\d+)?,"[^"]*"\]/g, '[<time>,"<value>"]')
    .replace(/ (node|host_details)=("[^"]*"|\S+)/g, ' $1=<…>');

/** docs/startup.md: the raw log of start, one SIGHUP, Ctrl+C. */
async function startupSession() {
  return run([], async ({ until, child }) => {
    await until(READY);
    child.kill('SIGHUP');
    await until('Completed loading of configuration file', 2);
    child.kill('SIGINT');
  });
}

/** The README's query: miniprom's own request rate for /metrics, from its self-scrape. */
const README_QUERY = 'rate(prometheus_http_requests_total{handler="/metrics"}[1m])';

/**
 * Asks until the answer has a series. The rate needs two scrapes, 15 s apart (the bundled
 * config's interval), and nothing announces a scrape, so this asks once a second.
 */
async function queryOnceScraped(base) {
  const url = `${base}/api/v1/query?query=${encodeURIComponent(README_QUERY)}`;
  for (let i = 0; i < 60; i++) {
    const body = await (await fetch(url)).text();
    if (JSON.parse(body).data.result.length > 0) return body;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`no answer to ${README_QUERY} after a minute`);
}

/** README.md: the example session, as a terminal shows it. */
async function readmeSession() {
  const answers = {};
  const port = await freePort();
  const lines = await run(['--web.enable-lifecycle'], async ({ until, child, base }) => {
    await until(READY);
    answers.ready = (await (await fetch(`${base()}/-/ready`)).text()).trim();
    answers.query = await queryOnceScraped(base());
    // Answered once the reload is done, so its log lines are all out.
    const reload = await fetch(`${base()}/-/reload`, { method: 'POST' });
    if (reload.status !== 200) throw new Error(`reload answered ${reload.status}: ${await reload.text()}`);
    child.kill('SIGINT');
  }, { port });
  // Split where each step begins, by message rather than by arrival, so the split is the same on
  // every run: the reload's lines start at the second "Loading", shutdown's at the signal.
  const secondLoad = lines.findIndex((l, i) => l.includes('msg="Loading configuration file"') && i > lines.findIndex((x) => x.includes(READY)));
  const signal = lines.findIndex((l) => l.includes('msg="Received an OS signal'));
  const terminal = (l) =>
    l
      .replace(/^time=\S+/, 'time=…')
      .replace(/address=\S+/, 'address=0.0.0.0:9090') // what `npm start` listens on
      .replace(/(msg="TSDB started")$/, '$1  ← dbOpen opens')
      .replace(/(msg="Server is ready to receive web requests\.")$/, '$1  ← reloadReady opens');
  return [
    '$ npm start -- --web.enable-lifecycle',
    ...lines.slice(0, secondLoad).map(terminal),
    '',
    '$ curl localhost:9090/-/ready                 # in another terminal',
    answers.ready,
    `$ curl -G localhost:9090/api/v1/query --data-urlencode 'query=${README_QUERY}'`,
    answers.query.replace(`localhost:${port}`, 'localhost:9090'),
    '$ curl -X POST localhost:9090/-/reload        # or: kill -HUP <pid>',
    ...lines.slice(secondLoad, signal).map(terminal),
    '',
    '^C                                            # back in the first terminal',
    ...lines.slice(signal).map(terminal),
  ];
}

/** docs/startup.md: what --startup.trace prints at exit, for a run stopped as soon as it is ready. */
async function traceSession() {
  const lines = await run(['--startup.trace'], async ({ until, child }) => {
    await until(READY);
    child.kill('SIGINT');
  });
  const chart = lines.filter((l) => !l.startsWith('time='));
  while (chart[0] === '') chart.shift();
  while (chart.at(-1) === '') chart.pop();
  return chart;
}

/**
 * The trace's shape without what depends on timing: numbers, the bars (a wait shorter than one
 * column may show or not), the axis's spacing and which interrupt took longest.
 */
const normaliseTrace = (line) =>
  line
    .replace(/^(\S.*?) {2,}[-.=x ]+$/, '$1 <bars>')
    .replace(/^(dbOpen|reloadReady)\s+\|?\s*opened at/, '$1 | opened at')
    .replace(/\d+(\.\d+)?/g, '<n>')
    .replace(/^ {2}\* /, '    ')
    .replace(/ {2,}/g, ' ')
    .trimEnd();

const blocks = [
  { file: 'docs/startup.md', name: 'session', fence: 'text', generate: startupSession, normalise },
  { file: 'docs/startup.md', name: 'trace', fence: 'text', generate: traceSession, normalise: normaliseTrace },
  { file: 'README.md', name: 'readme', fence: 'console', generate: readmeSession, normalise },
];

let failed = false;
for (const { file, name, fence, generate, normalise } of blocks) {
  const path = join(root, file);
  const text = readFileSync(path, 'utf8');
  const block = new RegExp(`(<!-- docs:log ${name} -->\\n\`\`\`${fence}\\n)([\\s\\S]*?)\\n?(\`\`\`\\n<!-- /docs:log -->)`);
  const match = block.exec(text);
  if (!match) {
    console.error(`${file}: no <!-- docs:log ${name} --> block`);
    failed = true;
    continue;
  }
  const lines = await generate();
  if (mode === '--update') {
    writeFileSync(path, text.replace(block, (_, open, _old, close) => `${open}${lines.join('\n')}\n${close}`));
    console.log(`${file}: ${lines.length} lines regenerated`);
    continue;
  }
  const want = match[2].split('\n').map(normalise);
  const got = lines.map(normalise);
  const diff = [];
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] !== got[i]) diff.push(`line ${i + 1}:\n  docs:   ${want[i] ?? '(none)'}\n  server: ${got[i] ?? '(none)'}`);
  }
  if (diff.length > 0) {
    console.error(`${file}: the session drifted from what the server prints (run npm run docs:update):\n${diff.slice(0, 5).join('\n')}`);
    failed = true;
  } else console.log(`${file}: ${got.length} lines match a fresh run`);
}
process.exitCode = failed ? 1 : 0;
