/**
 * The HTTP client fields that scrape configs and Alertmanager configs share (prometheus/common's
 * HTTPClientConfig, inlined in both), with its Validate rules and wording.
 */
import { joinDir } from './paths.js';
import type { BasicAuth, HTTPClientConfig } from './types.js';
import { at, type Entry, type Fields, type Reader, type Value } from './yaml.js';

/** The field names to allow in a section that inlines the HTTP client config. */
export const HTTP_CLIENT_FIELDS = [
  'basic_auth',
  'authorization',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'follow_redirects',
] as const;

/**
 * Headers the sender sets itself (upstream's reservedHeaders): remote write, remote read and the
 * OTLP exporter refuse them as custom headers.
 */
const RESERVED_HEADERS = new Set([
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

/**
 * Custom headers (remote write/read, tracing): reserved ones are refused, and so is Authorization,
 * with the section's own reason (upstream's validateHeaders and validateHeadersForTracing).
 */
export function parseHeaders(r: Reader, value: Value, path: string, authorization: string): Record<string, string> {
  const entries: Entry[] = [];
  const headers = r.stringMap(value, path, 'map[string]string', (e) => entries.push(e));
  for (const e of entries) {
    const name = e.name.toLowerCase();
    if (name === 'authorization') r.fail(e.key, at(path, e.name), authorization);
    if (RESERVED_HEADERS.has(name))
      r.fail(e.key, at(path, e.name), `${e.name} is a reserved header. It must not be changed`);
  }
  return headers;
}

export function parseHTTPClient(r: Reader, f: Fields, path: string, dir: string): HTTPClientConfig {
  // Upstream tests these with len(x) > 0: an empty string is as good as unset.
  const text = (value: Value, name: string) => r.string(value, at(path, name)) || undefined;
  const bearerToken = text(f.get('bearer_token'), 'bearer_token');
  const bearerTokenFile = text(f.get('bearer_token_file'), 'bearer_token_file');
  const bearerKey = bearerToken !== undefined ? 'bearer_token' : 'bearer_token_file';
  const hasBearer = bearerToken !== undefined || bearerTokenFile !== undefined;

  if (bearerToken !== undefined && bearerTokenFile !== undefined)
    r.fail(
      f.key('bearer_token_file'),
      at(path, 'bearer_token_file'),
      'at most one of bearer_token & bearer_token_file must be configured',
    );

  const out: HTTPClientConfig = {
    followRedirects: r.bool(f.get('follow_redirects'), at(path, 'follow_redirects')) ?? true,
  };

  // A null section (`basic_auth:`) is no section, as a nil pointer is in Go.
  if (!r.isNull(f.get('basic_auth'))) {
    if (hasBearer)
      r.fail(
        f.key(bearerKey),
        at(path, bearerKey),
        'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured',
      );
    out.basicAuth = parseBasicAuth(r, f.get('basic_auth'), at(path, 'basic_auth'), dir);
  }

  if (!r.isNull(f.get('authorization'))) {
    const authPath = at(path, 'authorization');
    if (hasBearer)
      r.fail(
        f.key(bearerKey),
        at(path, bearerKey),
        'authorization is not compatible with bearer_token & bearer_token_file',
      );
    const a = r.fields(f.get('authorization'), authPath, 'config.Authorization', [
      'type',
      'credentials',
      'credentials_file',
    ]);
    const credentials = r.string(a.get('credentials'), at(authPath, 'credentials')) || undefined;
    const credentialsFile = r.string(a.get('credentials_file'), at(authPath, 'credentials_file')) || undefined;
    if (credentials !== undefined && credentialsFile !== undefined)
      r.fail(
        a.key('credentials_file'),
        at(authPath, 'credentials_file'),
        'at most one of authorization credentials & credentials_file must be configured',
      );
    const type = (r.string(a.get('type'), at(authPath, 'type')) ?? '').trim() || 'Bearer';
    if (type.toLowerCase() === 'basic')
      r.fail(
        a.get('type'),
        at(authPath, 'type'),
        'authorization type cannot be set to "basic", use "basic_auth" instead',
      );
    if (out.basicAuth)
      r.fail(f.key('authorization'), authPath, 'at most one of basic_auth, oauth2 & authorization must be configured');
    out.authorization = {
      type,
      ...(credentials !== undefined && { credentials }),
      ...(credentialsFile !== undefined && { credentialsFile: joinDir(dir, credentialsFile) }),
    };
  } else if (bearerToken !== undefined) {
    // Upstream turns the legacy bearer_token into an authorization of type Bearer.
    out.authorization = { type: 'Bearer', credentials: bearerToken };
  } else if (bearerTokenFile !== undefined) {
    out.authorization = { type: 'Bearer', credentialsFile: joinDir(dir, bearerTokenFile) };
  }

  if (!r.isNull(f.get('tls_config'))) out.tlsConfig = parseTLS(r, f.get('tls_config'), at(path, 'tls_config'), dir);
  return out;
}

function parseBasicAuth(r: Reader, value: Value, path: string, dir: string): BasicAuth {
  const f = r.fields(value, path, 'config.plain', ['username', 'password', 'password_file']);
  const password = r.string(f.get('password'), at(path, 'password')) || undefined;
  const passwordFile = r.string(f.get('password_file'), at(path, 'password_file')) || undefined;
  if (password !== undefined && passwordFile !== undefined)
    r.fail(
      f.key('password_file'),
      at(path, 'password_file'),
      'at most one of basic_auth password, password_file & password_ref must be configured',
    );
  return {
    username: r.string(f.get('username'), at(path, 'username')) ?? '',
    ...(password !== undefined && { password }),
    ...(passwordFile !== undefined && { passwordFile: joinDir(dir, passwordFile) }),
  };
}

function parseTLS(r: Reader, value: Value, path: string, dir: string): NonNullable<HTTPClientConfig['tlsConfig']> {
  const f = r.fields(value, path, 'config.plain', [
    'ca_file',
    'cert_file',
    'key_file',
    'server_name',
    'insecure_skip_verify',
  ]);
  const text = (name: string) => r.string(f.get(name), at(path, name)) || undefined;
  const [caFile, certFile, keyFile, serverName] = [
    text('ca_file'),
    text('cert_file'),
    text('key_file'),
    text('server_name'),
  ];
  // A client certificate is useless without its key and the other way round (upstream's TLSConfig.Validate).
  if (certFile !== undefined && keyFile === undefined)
    r.fail(
      f.key('cert_file'),
      at(path, 'cert_file'),
      'exactly one of key or key_file must be configured when a client certificate is configured',
    );
  if (keyFile !== undefined && certFile === undefined)
    r.fail(
      f.key('key_file'),
      at(path, 'key_file'),
      'exactly one of cert or cert_file must be configured when a client key is configured',
    );
  return {
    ...(caFile !== undefined && { caFile: joinDir(dir, caFile) }),
    ...(certFile !== undefined && { certFile: joinDir(dir, certFile) }),
    ...(keyFile !== undefined && { keyFile: joinDir(dir, keyFile) }),
    ...(serverName !== undefined && { serverName }),
    insecureSkipVerify: r.bool(f.get('insecure_skip_verify'), at(path, 'insecure_skip_verify')) ?? false,
  };
}
