/**
 * What an HTTP client makes of an HTTPClientConfig at (re)load time: the Authorization header and
 * the TLS settings, files read now (so a rotated password or a renewed certificate applies on the
 * next reload). Shared by the scrape pools, the remote write queues and the notifier.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileError } from './errors.js';
import type { HTTPClientConfig } from './types.js';

/** The Authorization header as Go's http client would send it; files are read (and trimmed) now. */

/** node:tls, loaded when a client certificate is first checked: it costs ~2 ms at every start. */
const tlsModule = (): typeof import('node:tls') => createRequire(import.meta.url)('node:tls');

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

/** tls_config as a TLS client takes it: files read, PEM text in hand. */
export interface TLSSettings {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

/**
 * The tls_config of an HTTP client config, its files read now (so a renewed certificate applies on
 * the next reload, and an unreadable one fails it) with prometheus/common's messages; undefined
 * when nothing differs from the default TLS settings.
 */
export function tlsSettings(h: HTTPClientConfig): TLSSettings | undefined {
  const tls = h.tlsConfig;
  if (!tls) return undefined;
  const settings: TLSSettings = { rejectUnauthorized: !tls.insecureSkipVerify };
  if (tls.caFile) {
    const ca = readFileFor(tls.caFile, 'unable to read CA cert');
    // Go's AppendCertsFromPEM: at least one certificate, or the file is refused.
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new Error(`unable to use specified CA cert file ${tls.caFile}`);
    settings.ca = ca;
  }
  if (tls.certFile && tls.keyFile) {
    settings.cert = readFileFor(tls.certFile, 'unable to read specified client cert');
    settings.key = readFileFor(tls.keyFile, 'unable to read specified client key');
    try {
      // Go's tls.X509KeyPair checks the pair at load time; so does this.
      tlsModule().createSecureContext({ cert: settings.cert, key: settings.key });
    } catch (err) {
      throw new Error(
        `unable to use specified client cert (file ${tls.certFile}) & key (file ${tls.keyFile}): ${(err as Error).message}`,
      );
    }
  }
  if (tls.serverName) settings.servername = tls.serverName;
  const changed =
    settings.ca !== undefined ||
    settings.cert !== undefined ||
    settings.servername !== undefined ||
    !settings.rejectUnauthorized;
  return changed ? settings : undefined;
}

/** A file's content, or `what`'s error in prometheus/common's words. */
function readFileFor(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${what}: unable to read file ${path}: ${fileError(path, err as NodeJS.ErrnoException)}`);
  }
}

/** A secret file's content, surrounding whitespace trimmed as prometheus/common does. */
function readSecret(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new Error(`unable to read ${what} file ${path}: ${(err as Error).message}`);
  }
}
