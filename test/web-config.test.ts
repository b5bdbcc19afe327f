/**
 * `--web.config.file` as a security boundary: with basic_auth_users, no route answers without the
 * password (the same 401, header and body as Prometheus 3.5 gives for the same walk), the right
 * password gets in, and with tls_server_config the server speaks only TLS, with a certificate made
 * here. promtool's `check web-config` answers in promtool 3.5's words.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findPeer } from '../scripts/peers.mjs';
import { PROMETHEUS, startPrometheus, stopPrometheuses } from './helpers/prometheus.js';
import { ROUTES, type RouteRequest } from './helpers/routes.js';
import { killAll, ROOT } from './helpers/spawn.js';
import { listening, removeScratchDirs, scratchDir, startServer } from './helpers/server.js';

const PROMTOOL = findPeer('promtool');
const PASSWORD = 'correct horse';
// Cost 4, bcrypt's least: the comparison in each request stays quick.
const HASH = bcrypt.hashSync(PASSWORD, 4);
const CONFIG =
  'global:\n  scrape_interval: 1h\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: [127.0.0.1:1]\n';

let certDir: string;
let agent: Agent;

/** A self-signed certificate for 127.0.0.1 and its key, as `<name>.crt` and `<name>.key` in `dir`. */
function makeCertificate(dir: string, name: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
    ],
    { stdio: 'ignore' },
  );
}

beforeAll(() => {
  // Its own directory: the scratch directories go after each test.
  certDir = mkdtempSync(join(tmpdir(), 'miniprom-cert-'));
  makeCertificate(certDir, 'server');
  agent = new Agent({ connect: { ca: readFileSync(join(certDir, 'server.crt'), 'utf8') } });
});

afterAll(async () => {
  await agent.close();
  rmSync(certDir, { recursive: true, force: true });
});

afterEach(async () => {
  killAll();
  await stopPrometheuses();
  removeScratchDirs();
});

function writeWebConfig(text: string): string {
  const file = join(scratchDir(), 'web.yml');
  writeFileSync(file, text);
  return file;
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

async function ask(base: string, route: RouteRequest, auth?: string): Promise<Answer> {
  const res = await request(`${base}${route.path}`, {
    method: route.method,
    dispatcher: agent,
    headers: auth === undefined ? {} : { authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (route.stream && res.statusCode === 200) {
    res.body.on('error', () => {}); // the abort it reports is ours
    res.body.destroy();
    return { status: res.statusCode, body: '', headers: res.headers };
  }
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}

/** Starts miniprom with the web config; with TLS its base is https. */
async function miniprom(webConfig: string, tls: boolean, args: string[] = []) {
  const server = await listening({
    config: CONFIG,
    args: [`--web.config.file=${webConfig}`, '--web.enable-lifecycle', ...args],
  });
  if (tls) server.base = server.base.replace('http://', 'https://');
  await server.untilLog('Server is ready to receive web requests.');
  return server;
}

describe('--web.config.file with basic_auth_users', () => {
  it('answers every route without the password with 401, as Prometheus 3.5 does', async () => {
    const file = writeWebConfig(`basic_auth_users:\n  admin: ${HASH}\n`);
    const server = await miniprom(file, false);
    const walk = async (base: string) => {
      const answers: Record<string, Answer> = {};
      for (const route of ROUTES) answers[`${route.method} ${route.path}`] = await ask(base, route);
      return answers;
    };
    const ours = await walk(server.base);
    for (const [route, answer] of Object.entries(ours)) {
      expect({ route, status: answer.status, body: answer.body, auth: answer.headers['www-authenticate'] }).toEqual({
        route,
        status: 401,
        body: 'Unauthorized\n',
        auth: 'Basic',
      });
      expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    }
    if (PROMETHEUS.missing) {
      console.log(`missing: ${PROMETHEUS.missing}`);
      return;
    }
    const peer = await startPrometheus({ args: [`--web.config.file=${file}`, '--web.enable-lifecycle'] });
    const theirs = await walk(peer.base);
    const shape = (answers: Record<string, Answer>) =>
      Object.fromEntries(
        Object.entries(answers).map(([route, a]) => [
          route,
          [
            a.status,
            a.body,
            a.headers['www-authenticate'],
            a.headers['content-type'],
            a.headers['x-content-type-options'],
          ],
        ]),
      );
    expect(shape(ours)).toEqual(shape(theirs));
  });

  it('refuses a wrong password, an unknown user and a malformed header alike', async () => {
    const file = writeWebConfig(`basic_auth_users:\n  admin: ${HASH}\n`);
    const server = await miniprom(file, false);
    const healthy: RouteRequest = { method: 'GET', path: '/-/healthy' };
    expect((await ask(server.base, healthy, 'admin:wrong')).status).toBe(401);
    expect((await ask(server.base, healthy, `nobody:${PASSWORD}`)).status).toBe(401);
    const malformed = await request(`${server.base}/-/healthy`, { headers: { authorization: 'Basic !!!' } });
    expect(malformed.statusCode).toBe(401);
    await malformed.body.dump();
  });

  it('lets the right password into every route', async () => {
    const file = writeWebConfig(`basic_auth_users:\n  admin: ${HASH}\n`);
    const server = await miniprom(file, false, ['--web.enable-admin-api']);
    for (const route of ROUTES) {
      const answer = await ask(server.base, route, `admin:${PASSWORD}`);
      expect({ route: `${route.method} ${route.path}`, status: answer.status }).not.toMatchObject({ status: 401 });
    }
    expect((await ask(server.base, { method: 'GET', path: '/-/healthy' }, `admin:${PASSWORD}`)).body).toBe(
      'Prometheus Server is Healthy.\n',
    );
    // Quitting goes through the same door.
    const quit = await ask(server.base, { method: 'POST', path: '/-/quit' }, `admin:${PASSWORD}`);
    expect(quit.body).toBe('Requesting termination... Goodbye!');
    expect((await server.exited).code).toBe(0);
  });

  it('reads the file again for each request: a user added later gets in without a restart', async () => {
    const file = writeWebConfig(`basic_auth_users:\n  admin: ${HASH}\n`);
    const server = await miniprom(file, false);
    const healthy: RouteRequest = { method: 'GET', path: '/-/healthy' };
    expect((await ask(server.base, healthy, `later:${PASSWORD}`)).status).toBe(401);
    writeFileSync(file, `basic_auth_users:\n  admin: ${HASH}\n  later: ${HASH}\n`);
    expect((await ask(server.base, healthy, `later:${PASSWORD}`)).status).toBe(200);
  });

  it('answers 500 while the file does not parse, as upstream, and serves again once it does', async () => {
    const file = writeWebConfig(`basic_auth_users:\n  admin: ${HASH}\n`);
    const server = await miniprom(file, false);
    const healthy: RouteRequest = { method: 'GET', path: '/-/healthy' };
    writeFileSync(file, 'basic_auth_users: [nope]\n');
    expect(await ask(server.base, healthy, `admin:${PASSWORD}`)).toMatchObject({
      status: 500,
      body: 'Internal Server Error\n',
    });
    expect(server.logs().find((l) => l.msg === 'Unable to parse configuration')).toBeDefined();
    writeFileSync(file, `basic_auth_users:\n  admin: ${HASH}\n`);
    expect((await ask(server.base, healthy, `admin:${PASSWORD}`)).status).toBe(200);
  });

  it('sets the configured headers on every answer, the 401 included', async () => {
    const file = writeWebConfig(
      `http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  admin: ${HASH}\n`,
    );
    const server = await miniprom(file, false);
    const refused = await ask(server.base, { method: 'GET', path: '/metrics' });
    expect(refused.headers['x-frame-options']).toBe('deny');
    const served = await ask(server.base, { method: 'GET', path: '/metrics' }, `admin:${PASSWORD}`);
    expect(served.status).toBe(200);
    expect(served.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});

describe('--web.config.file with tls_server_config', () => {
  const tlsConfig = () =>
    `tls_server_config:\n  cert_file: ${join(certDir, 'server.crt')}\n  key_file: ${join(certDir, 'server.key')}\n`;

  it('serves HTTPS with the configured certificate, and basic auth inside it', async () => {
    const file = writeWebConfig(`${tlsConfig()}basic_auth_users:\n  admin: ${HASH}\n`);
    const server = await miniprom(file, true);
    expect(server.logs().find((l) => l.msg === 'TLS is enabled.')).toBeDefined();
    const healthy: RouteRequest = { method: 'GET', path: '/-/healthy' };
    expect((await ask(server.base, healthy)).status).toBe(401);
    const answer = await ask(server.base, healthy, `admin:${PASSWORD}`);
    expect(answer).toMatchObject({ status: 200, body: 'Prometheus Server is Healthy.\n' });
  });

  it('takes a renewed certificate for the next connection, as upstream reads it for every handshake', async () => {
    const dir = scratchDir();
    makeCertificate(dir, 'old');
    makeCertificate(dir, 'new');
    copyFileSync(join(dir, 'old.crt'), join(dir, 'server.crt'));
    copyFileSync(join(dir, 'old.key'), join(dir, 'server.key'));
    const file = writeWebConfig(`tls_server_config:\n  cert_file: ${dir}/server.crt\n  key_file: ${dir}/server.key\n`);
    const server = await miniprom(file, true);
    // A new connection each time, trusting only the one certificate.
    const healthy = async (trusted: string) => {
      const client = new Agent({ connect: { ca: readFileSync(join(dir, trusted), 'utf8') } });
      try {
        const res = await request(`${server.base}/-/healthy`, { dispatcher: client });
        await res.body.dump();
        return res.statusCode;
      } catch {
        return 'refused';
      } finally {
        await client.close();
      }
    };
    expect(await healthy('old.crt')).toBe(200);
    copyFileSync(join(dir, 'new.crt'), join(dir, 'server.crt'));
    copyFileSync(join(dir, 'new.key'), join(dir, 'server.key'));
    expect(await healthy('new.crt')).toBe(200);
    expect(await healthy('old.crt')).toBe('refused');
    // A web config that stops validating refuses new connections, as upstream's handshake fails.
    writeFileSync(file, 'tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n');
    expect(await healthy('new.crt')).toBe('refused');
  });

  it('speaks no plain HTTP on the TLS port', async () => {
    const file = writeWebConfig(tlsConfig());
    const server = await miniprom(file, true);
    const { port } = new URL(server.base);
    // A plain request on a TLS port gets no HTTP answer from Node (Go answers with a 400 text).
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (d: Buffer) => {
        data += d.toString('latin1');
      });
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(reply).not.toContain('Healthy');
  });

  it('refuses a client without a certificate when client_auth_type requires one', async () => {
    const file = writeWebConfig(
      `${tlsConfig()}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${join(certDir, 'server.crt')}\n`,
    );
    const server = await miniprom(file, true);
    await expect(ask(server.base, { method: 'GET', path: '/-/healthy' })).rejects.toThrow();
  });

  it('does not start with a web config that does not validate, as upstream', async () => {
    const file = writeWebConfig('tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n');
    const server = startServer({ config: CONFIG, args: [`--web.config.file=${file}`] });
    expect((await server.exited).code).toBe(1);
    const line = server.logs().find((l) => l.msg === 'Unable to validate web configuration file');
    expect(line?.err).toBe(
      `failed to read cert_file (${join(dirname(file), 'missing.crt')}): open ${join(dirname(file), 'missing.crt')}: no such file or directory`,
    );
    expect(server.msgs()).not.toContain('Start listening for connections');
  });
});

describe('promtool check web-config', () => {
  const promtool = (args: string[], cwd: string) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cmd/promtool.js'), ...args], { cwd, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const CASES: Record<string, string> = {
    'good.yml': `basic_auth_users:\n  alice: ${HASH}\n`,
    'empty.yml': '',
    'short-hash.yml': 'basic_auth_users:\n  john: doe\n',
    'cost.yml': 'basic_auth_users:\n  a: "$2y$03$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby"\n',
    'unknown-field.yml': 'tls_server_config:\n  cert_filse: x\n',
    'junk.yml': 'hWkNKCp3fvIx3jKnsaBI\n',
    'header.yml': 'http_server_config:\n  headers:\n    Content-Type: text/plain\n',
    'frame.yml': 'http_server_config:\n  headers:\n    X-Frame-Options: foo\n',
    'no-cert.yml': 'tls_server_config:\n  key_file: x\n',
    'no-key.yml': 'tls_server_config:\n  cert_file: x\n',
    'missing-cert.yml': 'tls_server_config:\n  cert_file: somefile\n  key_file: somefile\n',
    'cipher.yml': 'tls_server_config:\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048]\n',
    'curve.yml': 'tls_server_config:\n  curve_preferences: [CurveP257]\n',
    'version.yml': 'tls_server_config:\n  min_version: TLS111\n',
  };

  it('answers each file as promtool 3.5 does', () => {
    const dir = scratchDir();
    for (const [name, text] of Object.entries(CASES)) writeFileSync(join(dir, name), text);
    const files = Object.keys(CASES);
    const ours = promtool(['check', 'web-config', ...files], dir);
    expect(ours.code).toBe(1);
    expect(ours.stderr).toContain('good.yml SUCCESS\n');
    expect(ours.stderr).toContain(
      'short-hash.yml FAILED: crypto/bcrypt: hashedSecret too short to be a bcrypted password\n',
    );
    expect(ours.stderr).toContain(
      'unknown-field.yml FAILED: yaml: unmarshal errors:\n  line 2: field cert_filse not found in type web.TLSConfig\n',
    );
    expect(ours.stderr).toContain(
      'missing-cert.yml FAILED: failed to read cert_file (somefile): open somefile: no such file or directory\n',
    );
    if (PROMTOOL.missing) {
      console.log(`missing: ${PROMTOOL.missing}`);
      return;
    }
    const theirs = spawnSync(PROMTOOL.path as string, ['check', 'web-config', ...files], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.code).toBe(theirs.status);
  });

  it('checks the certificate and key a TLS config names, as promtool 3.5 does', () => {
    const dir = scratchDir();
    const crt = join(certDir, 'server.crt');
    const key = join(certDir, 'server.key');
    writeFileSync(join(dir, 'tls.yml'), `tls_server_config:\n  cert_file: ${crt}\n  key_file: ${key}\n`);
    writeFileSync(join(dir, 'swapped.yml'), `tls_server_config:\n  cert_file: ${key}\n  key_file: ${crt}\n`);
    writeFileSync(
      join(dir, 'ca-no-auth.yml'),
      `tls_server_config:\n  cert_file: ${crt}\n  key_file: ${key}\n  client_ca_file: ${crt}\n`,
    );
    writeFileSync(
      join(dir, 'bad-auth.yml'),
      `tls_server_config:\n  cert_file: ${crt}\n  key_file: ${key}\n  client_auth_type: Sometimes\n`,
    );
    const files = ['tls.yml', 'swapped.yml', 'ca-no-auth.yml', 'bad-auth.yml'];
    const ours = promtool(['check', 'web-config', ...files], dir);
    expect(ours.stderr).toContain('tls.yml SUCCESS\n');
    expect(ours.stderr).toContain(
      "ca-no-auth.yml FAILED: client CA's have been configured without a Client Auth Policy\n",
    );
    if (PROMTOOL.missing) return;
    const theirs = spawnSync(PROMTOOL.path as string, ['check', 'web-config', ...files], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(ours.stderr).toBe(theirs.stderr);
  });
});
