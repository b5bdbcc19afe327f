/**
 * What an HTTP client makes of an HTTPClientConfig at (re)load time: the Authorization header
 * (secret files read now, so a rotated password applies on the next reload) and the tls_config
 * fields it cannot apply. Shared by the scrape pools and the remote write queues.
 */
import { readFileSync } from 'node:fs';
import type { HTTPClientConfig } from './types.js';

/** The Authorization header as Go's http client would send it; files are read (and trimmed) now. */
export function authorizationHeader(h: HTTPClientConfig): string | undefined {
  const { basicAuth, authorization } = h;
  if (basicAuth && authorization) {
    throw new Error(
      'at most one of basic_auth, oauth2, bearer_token & bearer_token_file, authorization must be configured',
    );
  }
  if (basicAuth) {
    if (basicAuth.password !== undefined && basicAuth.passwordFile) {
      throw new Error('at most one of basic_auth password & password_file must be configured');
    }
    const password = basicAuth.passwordFile
      ? readSecret(basicAuth.passwordFile, 'password')
      : (basicAuth.password ?? '');
    return `Basic ${Buffer.from(`${basicAuth.username}:${password}`).toString('base64')}`;
  }
  if (authorization) {
    if (authorization.credentials !== undefined && authorization.credentialsFile) {
      throw new Error('at most one of authorization credentials & credentials_file must be configured');
    }
    const credentials = authorization.credentialsFile
      ? readSecret(authorization.credentialsFile, 'credentials')
      : (authorization.credentials ?? '');
    return `${authorization.type || 'Bearer'} ${credentials}`;
  }
  return undefined;
}

/**
 * The tls_config fields that are set but cannot be applied, by their YAML names: requests go
 * through Node's fetch, which offers no per-request CA, client certificate or verification
 * settings. Callers warn about them; verification is never skipped, so this fails safe.
 */
export function unappliedTLS(h: HTTPClientConfig): string[] {
  const tls = h.tlsConfig;
  if (!tls) return [];
  const fields: Array<[string, unknown]> = [
    ['ca_file', tls.caFile],
    ['cert_file', tls.certFile],
    ['key_file', tls.keyFile],
    ['server_name', tls.serverName],
    ['insecure_skip_verify', tls.insecureSkipVerify || undefined],
  ];
  return fields.filter(([, value]) => value !== undefined && value !== '').map(([name]) => name);
}

/** A secret file's content, surrounding whitespace trimmed as prometheus/common does. */
function readSecret(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new Error(`unable to read ${what} file ${path}: ${(err as Error).message}`);
  }
}
