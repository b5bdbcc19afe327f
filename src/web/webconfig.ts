/**
 * `--web.config.file`: the exporter-toolkit's web configuration (github.com/prometheus/exporter-toolkit
 * web, v0.14.1 as Prometheus 3.5 vendors it), read and checked with its rules and error words.
 * `tls_server_config` turns the server into HTTPS (Node's TLS honours the certificate, key, client
 * CA, client auth policy, TLS versions, TLS 1.2 cipher suites and curves; `client_allowed_sans` is
 * checked after the handshake), `basic_auth_users` (bcrypt hashes) guards every route, and
 * `http_server_config.headers` adds the few headers upstream allows. The file itself is read again
 * for every request, as upstream does, so users and headers change without a restart.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { SecureContextOptions, TLSSocket, TlsOptions } from 'node:tls';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from 'yaml';

/** A web config error: `message` is upstream's whole text (what promtool prints after FAILED:). */
export class WebConfigError extends Error {}

/** The TLS part of the file, paths already joined with the file's directory (SetDirectory). */
export interface TLSServerConfig {
  cert: string;
  key: string;
  clientCA: string;
  certFile: string;
  keyFile: string;
  clientAuthType: string;
  clientCAFile: string;
  cipherSuites: string[];
  curvePreferences: string[];
  minVersion: string;
  maxVersion: string;
  preferServerCipherSuites: boolean;
  /** undefined when absent: upstream checks SANs only when the list is given (even empty). */
  clientAllowedSans: string[] | undefined;
}

export interface WebConfig {
  tls: TLSServerConfig;
  http2: boolean;
  headers: Record<string, string>;
  /** user → bcrypt hash. */
  users: Map<string, string>;
}

/** Go's tls.CipherSuites() (the secure ones), with OpenSSL's name for those TLS 1.2 negotiates. */
const CIPHER_SUITES: Record<string, string | undefined> = {
  // TLS 1.3 suites are accepted by name but, as in Go, not configurable.
  TLS_AES_128_GCM_SHA256: undefined,
  TLS_AES_256_GCM_SHA384: undefined,
  TLS_CHACHA20_POLY1305_SHA256: undefined,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** Go's curve names and OpenSSL's. */
const CURVES: Record<string, string> = {
  CurveP256: 'prime256v1',
  CurveP384: 'secp384r1',
  CurveP521: 'secp521r1',
  X25519: 'X25519',
};

const TLS_VERSIONS: Record<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** The headers a web config may set, and the values each allows (none listed: any value). */
const EXTRA_HTTP_HEADERS: Record<string, string[]> = {
  'Strict-Transport-Security': [],
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': [],
  'Content-Security-Policy': [],
};

/** Go's text for a failed file operation (`open x: no such file or directory`). */
export function goFileError(op: string, path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
  };
  return `${code === 'EISDIR' ? 'read' : op} ${path}: ${text[code ?? ''] ?? (err as Error).message}`;
}

/**
 * Collects yaml.v2's "unmarshal errors" (each `line N: …`) while decoding, as UnmarshalStrict
 * reports them all at once; a custom unmarshaler's error (an unknown cipher) ends decoding at once.
 */
class Decoder {
  readonly errors: string[] = [];
  constructor(private readonly lines: LineCounter) {}

  private line(node: Node): number {
    return this.lines.linePos(node.range?.[0] ?? 0).line;
  }

  error(node: Node, text: string): void {
    this.errors.push(`line ${this.line(node)}: ${text}`);
  }

  /** yaml.v2's `cannot unmarshal !!str `abc` into T` (long values shortened to 7 characters). */
  typeError(node: Node, into: string): void {
    let what: string;
    if (isMap(node)) what = '!!map';
    else if (isSeq(node)) what = '!!seq';
    else {
      const scalar = node as Scalar;
      const value = scalar.source ?? String(scalar.value);
      const tag =
        scalar.value === null
          ? '!!null'
          : typeof scalar.value === 'boolean'
            ? '!!bool'
            : typeof scalar.value === 'number'
              ? Number.isInteger(scalar.value) && !/[.eE]/.test(value)
                ? '!!int'
                : '!!float'
              : '!!str';
      what = `${tag} \`${value.length > 10 ? `${value.slice(0, 7)}...` : value}\``;
    }
    this.error(node, `cannot unmarshal ${what} into ${into}`);
  }

  /** A struct: each known field's node, unknown or repeated fields reported. Null gives none. */
  struct(node: Node | null | undefined, type: string, fields: readonly string[]): Map<string, Node> {
    const out = new Map<string, Node>();
    if (node == null || (isScalar(node) && node.value === null)) return out;
    if (!isMap(node)) {
      this.typeError(node, type);
      return out;
    }
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const name = key && isScalar(key) ? String(key.value) : '';
      if (!fields.includes(name)) {
        this.error(key ?? node, `field ${name} not found in type ${type}`);
        continue;
      }
      if (out.has(name)) {
        this.error(key ?? node, `field ${name} already set in type ${type}`);
        continue;
      }
      const value = pair.value as Node | null;
      if (value != null && !(isScalar(value) && value.value === null)) out.set(name, value);
    }
    return out;
  }

  string(node: Node | undefined, into = 'string'): string {
    if (node === undefined) return '';
    if (!isScalar(node) || typeof node.value === 'object') {
      this.typeError(node, into);
      return '';
    }
    return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
  }

  bool(node: Node | undefined, fallback: boolean): boolean {
    if (node === undefined) return fallback;
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.typeError(node, 'bool');
      return fallback;
    }
    return node.value;
  }

  strings(node: Node | undefined, into = 'string'): string[] | undefined {
    if (node === undefined) return undefined;
    if (!isSeq(node)) {
      this.typeError(node, `[]${into}`);
      return [];
    }
    return node.items.map((item) => this.string(item as Node, into));
  }

  stringMap(node: Node | undefined, into: string): Map<string, string> {
    const out = new Map<string, string>();
    if (node === undefined) return out;
    if (!isMap(node)) {
      this.typeError(node, into);
      return out;
    }
    for (const pair of node.items) {
      const key = pair.key as Node;
      const name = this.string(key);
      if (out.has(name)) {
        this.error(key, `key ${JSON.stringify(name)} already set in map`);
        continue;
      }
      const value = pair.value as Node | null;
      out.set(name, value == null ? '' : this.string(value));
    }
    return out;
  }
}

/** A name from one of upstream's enumerations, or the unmarshaler's error. */
function named(decoder: Decoder, node: Node, table: Record<string, unknown>, what: string): string {
  const name = decoder.string(node);
  if (!(name in table)) throw new WebConfigError(`unknown ${what}: ${name}`);
  return name;
}

/** Parses a web config's text (getConfig without reading the file); relative paths join `dir`. */
export function parseWebConfig(text: string, dir: string): WebConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, version: '1.1', uniqueKeys: false });
  if (doc.errors.length > 0) throw new WebConfigError(`yaml: ${doc.errors[0]?.message.split('\n')[0]}`);
  const decoder = new Decoder(lines);
  const top = decoder.struct(doc.contents as Node | null, 'web.Config', [
    'tls_server_config',
    'http_server_config',
    'basic_auth_users',
  ]);
  const t = decoder.struct(top.get('tls_server_config'), 'web.TLSConfig', [
    'cert',
    'key',
    'client_ca',
    'cert_file',
    'key_file',
    'client_auth_type',
    'client_ca_file',
    'cipher_suites',
    'curve_preferences',
    'min_version',
    'max_version',
    'prefer_server_cipher_suites',
    'client_allowed_sans',
  ]);
  const version = (name: string, fallback: string) => {
    const node = t.get(name);
    return node === undefined ? fallback : named(decoder, node, TLS_VERSIONS, 'TLS version');
  };
  const list = (name: string, table: Record<string, unknown>, what: string) => {
    const node = t.get(name);
    if (node === undefined) return [];
    if (!isSeq(node)) {
      decoder.typeError(node, `[]web.${what === 'cipher' ? 'Cipher' : 'Curve'}`);
      return [];
    }
    return node.items.map((item) => named(decoder, item as Node, table, what));
  };
  const tls: TLSServerConfig = {
    cert: decoder.string(t.get('cert')),
    key: decoder.string(t.get('key'), 'config.Secret'),
    clientCA: decoder.string(t.get('client_ca')),
    certFile: decoder.string(t.get('cert_file')),
    keyFile: decoder.string(t.get('key_file')),
    clientAuthType: decoder.string(t.get('client_auth_type')),
    clientCAFile: decoder.string(t.get('client_ca_file')),
    cipherSuites: list('cipher_suites', CIPHER_SUITES, 'cipher'),
    curvePreferences: list('curve_preferences', CURVES, 'curve'),
    minVersion: version('min_version', 'TLS12'),
    maxVersion: version('max_version', 'TLS13'),
    preferServerCipherSuites: decoder.bool(t.get('prefer_server_cipher_suites'), true),
    clientAllowedSans: decoder.strings(t.get('client_allowed_sans')),
  };
  const h = decoder.struct(top.get('http_server_config'), 'web.HTTPConfig', ['http2', 'headers']);
  const http2 = decoder.bool(h.get('http2'), true);
  const headers = Object.fromEntries(decoder.stringMap(h.get('headers'), 'map[string]string'));
  const users = decoder.stringMap(top.get('basic_auth_users'), 'map[string]config.Secret');
  if (decoder.errors.length > 0) {
    throw new WebConfigError(`yaml: unmarshal errors:\n  ${decoder.errors.join('\n  ')}`);
  }
  validateHeaders(headers);
  // config_util.JoinDir: relative paths are the file's directory's; empty ones stay empty.
  const join_ = (p: string) => (p === '' || isAbsolute(p) ? p : join(dir, p));
  tls.certFile = join_(tls.certFile);
  tls.keyFile = join_(tls.keyFile);
  tls.clientCAFile = join_(tls.clientCAFile);
  return { tls, http2, headers, users };
}

function validateHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    const allowed = EXTRA_HTTP_HEADERS[name];
    if (allowed === undefined) throw new WebConfigError(`HTTP header ${JSON.stringify(name)} can not be configured`);
    if (allowed.length > 0 && !allowed.includes(value)) {
      // Go's %q of a []string: ["deny" "sameorigin"].
      const list = `[${allowed.map((v) => JSON.stringify(v)).join(' ')}]`;
      throw new WebConfigError(
        `invalid value for ${name}. Expected one of: ${list}, but got: ${JSON.stringify(value)}`,
      );
    }
  }
}

/** Go's `filepath.Dir`-relative form of the config's directory: `.` for a bare file name. */
function configDir(file: string): string {
  return dirname(file);
}

/** getConfig: reads and parses the file. */
export async function readWebConfig(file: string): Promise<WebConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new WebConfigError(goFileError('open', file, err));
  }
  return parseWebConfig(text, configDir(file));
}

/** Go's crypto/bcrypt Cost(): the checks a hash must pass before any password is compared. */
export function checkBcryptHash(hash: string): void {
  if (hash.length < 59) throw new WebConfigError('crypto/bcrypt: hashedSecret too short to be a bcrypted password');
  if (hash[0] !== '$') {
    throw new WebConfigError(
      `crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with '${hash[0]}'`,
    );
  }
  if ((hash[1] ?? '') > '2') {
    throw new WebConfigError(
      `crypto/bcrypt: bcrypt algorithm version '${hash[1]}' requested is newer than current version '2'`,
    );
  }
  const at = hash[2] === '$' ? 3 : 4;
  const costText = hash.slice(at, at + 2);
  if (!/^[+-]?\d+$/.test(costText)) {
    throw new WebConfigError(`strconv.Atoi: parsing ${JSON.stringify(costText)}: invalid syntax`);
  }
  const cost = Number(costText);
  if (cost < 4 || cost > 31) {
    throw new WebConfigError(`crypto/bcrypt: cost ${cost} is outside allowed inclusive range 4..31`);
  }
}

/** The TLS server's settings and the checks Node's handshake cannot make by itself. */
export interface TLSServerSettings {
  options: TlsOptions;
  /** After the handshake: the reason to drop the connection, or undefined to serve it. */
  verify(socket: TLSSocket): string | undefined;
}

/** The PEM blocks' types in `text`, in order. */
function pemTypes(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1] as string);
}

/** tls.X509KeyPair's checks, in its words. */
function checkKeyPair(cert: string, key: string): void {
  const certTypes = pemTypes(cert);
  if (!certTypes.includes('CERTIFICATE')) {
    if (certTypes.some((t) => t.endsWith('PRIVATE KEY'))) {
      throw new Error(
        'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched',
      );
    }
    throw new Error('tls: failed to find any PEM data in certificate input');
  }
  const keyTypes = pemTypes(key);
  if (!keyTypes.some((t) => t.endsWith('PRIVATE KEY'))) {
    if (keyTypes.includes('CERTIFICATE')) {
      throw new Error(
        'tls: found a certificate rather than a key in the PEM for the private key; PEM inputs may have been switched',
      );
    }
    throw new Error('tls: failed to find any PEM data in key input');
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new Error('x509: malformed certificate');
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error('tls: failed to parse private key');
  }
  if (certificate.publicKey.asymmetricKeyType !== privateKey.asymmetricKeyType) {
    throw new Error('tls: private key type does not match public key type');
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new Error('tls: private key does not match public key');
}

const CLIENT_AUTH = [
  '',
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'RequireClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
];

/**
 * ConfigToTLSConfig: the TLS server settings, or undefined when the file configures no TLS
 * (errNoTLSConfig: the server stays plain HTTP). Throws upstream's errors.
 */
export async function tlsServerSettings(c: TLSServerConfig): Promise<TLSServerSettings | undefined> {
  if (
    c.certFile === '' &&
    c.cert === '' &&
    c.keyFile === '' &&
    c.key === '' &&
    c.clientCAFile === '' &&
    c.clientCA === '' &&
    c.clientAuthType === ''
  ) {
    return undefined;
  }
  if (c.certFile === '' && c.cert === '') throw new WebConfigError('missing one of cert or cert_file');
  if (c.keyFile === '' && c.key === '') throw new WebConfigError('missing one of key or key_file');
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new WebConfigError(`failed to read ${what} (${path}): ${goFileError('open', path, err)}`);
    }
  };
  const cert = c.certFile !== '' ? await read(c.certFile, 'cert_file') : c.cert;
  const key = c.keyFile !== '' ? await read(c.keyFile, 'key_file') : c.key;
  try {
    checkKeyPair(cert, key);
  } catch (err) {
    throw new WebConfigError(`failed to load X509KeyPair: ${(err as Error).message}`);
  }
  let ca: string | undefined;
  if (c.clientCAFile !== '') {
    try {
      ca = await readFile(c.clientCAFile, 'utf8');
    } catch (err) {
      throw new WebConfigError(goFileError('open', c.clientCAFile, err));
    }
  } else if (c.clientCA !== '') ca = c.clientCA;
  if (!CLIENT_AUTH.includes(c.clientAuthType)) throw new WebConfigError(`invalid ClientAuth: ${c.clientAuthType}`);
  const policy = c.clientAuthType === 'RequireClientCert' ? 'RequireAnyClientCert' : c.clientAuthType || 'NoClientCert';
  if (ca !== undefined && policy === 'NoClientCert') {
    throw new WebConfigError("client CA's have been configured without a Client Auth Policy");
  }
  const ciphers = c.cipherSuites.map((name) => CIPHER_SUITES[name]).filter((n): n is string => n !== undefined);
  const secure: SecureContextOptions = {
    cert,
    key,
    minVersion: TLS_VERSIONS[c.minVersion],
    maxVersion: TLS_VERSIONS[c.maxVersion],
    ...(ca !== undefined ? { ca } : {}),
    ...(ciphers.length > 0 ? { ciphers: ciphers.join(':') } : {}),
    ...(c.curvePreferences.length > 0
      ? { ecdhCurve: c.curvePreferences.map((name) => CURVES[name] as string).join(':') }
      : {}),
    ...(c.preferServerCipherSuites ? { honorCipherOrder: true } : {}),
  };
  const options: TlsOptions = {
    ...secure,
    requestCert: policy !== 'NoClientCert',
    // Node verifies the chain itself only where Go's policy requires a verified certificate.
    rejectUnauthorized: policy === 'RequireAndVerifyClientCert',
  };
  return {
    options,
    verify(socket) {
      if (policy === 'NoClientCert') return undefined;
      const peer = socket.getPeerCertificate();
      const presented = peer !== null && Object.keys(peer).length > 0;
      if (!presented) {
        return policy === 'RequireAnyClientCert' || policy === 'RequireAndVerifyClientCert'
          ? "tls: client didn't provide a certificate"
          : undefined;
      }
      if ((policy === 'VerifyClientCertIfGiven' || policy === 'RequireAndVerifyClientCert') && !socket.authorized) {
        return `tls: failed to verify certificate: ${String(socket.authorizationError)}`;
      }
      if (c.clientAllowedSans !== undefined) {
        const sans = (peer.subjectaltname ?? '')
          .split(', ')
          .map((entry) => entry.replace(/^(DNS|IP Address|email|URI):/, ''))
          .filter((v) => v !== '');
        if (!sans.some((san) => c.clientAllowedSans?.includes(san))) {
          return `could not find allowed SANs in client cert, found: [${c.clientAllowedSans.join(' ')}]`;
        }
      }
      return undefined;
    },
  };
}

/** upstream's Validate: the whole file checked as the server would use it; throws WebConfigError. */
export async function validateWebConfig(file: string): Promise<void> {
  if (file === '') return;
  const config = await readWebConfig(file);
  for (const hash of config.users.values()) checkBcryptHash(hash);
  await tlsServerSettings(config.tls);
}

/**
 * Keeps an HTTPS server's TLS settings as the web config file has them now: before each new
 * connection (connections.ts) the file and the certificate, key and CA files it names are looked
 * at again, and when any changed the server takes the new settings (`setSecureContext`), as
 * upstream reads them for every handshake. A file that no longer validates refuses connections
 * (upstream's handshake fails), rather than serving with what it had.
 */
export class TLSReloader {
  #stamp = '';
  #ok = true;

  constructor(
    private readonly file: string,
    /** The settings in use; replaced when the files change. */
    public current: TLSServerSettings,
    private readonly onError: (message: string) => void,
  ) {}

  /** What identifies the files' present state: the config's text and the named files' times and sizes. */
  async #stampNow(): Promise<{ stamp: string; config: WebConfig }> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      throw new WebConfigError(goFileError('open', this.file, err));
    }
    const config = parseWebConfig(text, configDir(this.file));
    const { certFile, keyFile, clientCAFile } = config.tls;
    const times = await Promise.all(
      [certFile, keyFile, clientCAFile].map(async (path) => {
        if (path === '') return '';
        try {
          const s = await stat(path);
          return `${s.mtimeMs}:${s.size}`;
        } catch {
          return 'missing';
        }
      }),
    );
    return { stamp: JSON.stringify([text, times]), config };
  }

  /** Brings `server` up to date; resolves to whether a connection may be served. */
  async refresh(server: { setSecureContext(options: SecureContextOptions): void }): Promise<boolean> {
    try {
      const { stamp, config } = await this.#stampNow();
      if (stamp === this.#stamp) return this.#ok;
      this.#stamp = stamp;
      const next = await tlsServerSettings(config.tls);
      if (!next) throw new WebConfigError('TLS config is not present');
      server.setSecureContext(next.options);
      this.current = next;
      this.#ok = true;
    } catch (err) {
      this.onError((err as Error).message);
      this.#ok = false;
    }
    return this.#ok;
  }
}
