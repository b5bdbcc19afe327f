/**
 * The exporter-toolkit's webHandler: wrapped around the whole server (below fastify, as upstream
 * wraps its whole mux), so that no route — page, API, `/-/healthy`, `/metrics`, asset — answers
 * before the request has passed. For each request the web config file is read again (users and
 * headers change without a restart), its headers are set, and when it lists users the request
 * must carry one of them with the right password (HTTP basic auth, bcrypt hashes), or it gets
 * upstream's `401 Unauthorized` with `WWW-Authenticate: Basic`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import type { Logger } from 'pino';
import { readWebConfig } from './webconfig.js';

/**
 * bcrypt of "fakepassword": compared against when the user is unknown, so that timing does not
 * tell which users exist (upstream's constant).
 */
const FAKE_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';

/** Upstream caches this many verdicts, dropping one at random when full (cache.go). */
const CACHE_SIZE = 100;

/** Go's http.Error: plain text, nosniff, the text and a newline. */
function goError(res: ServerResponse, status: number, text: string): void {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.statusCode = status;
  res.end(`${text}\n`);
}

/** Go's Request.BasicAuth: the user and password, or undefined when the header is absent or malformed. */
export function basicAuth(req: IncomingMessage): { user: string; pass: string } | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  // Go compares the scheme case-insensitively and decodes with StdEncoding (padding required).
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = header.slice(6);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // Back to the bytes as sent: Go's strings are bytes, and bcrypt compares bytes.
  const bytes = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
  return { user: bytes(decoded.slice(0, colon)), pass: bytes(decoded.slice(colon + 1)) };
}

/** Wraps `handler` with the web config's headers and basic auth (`file` read per request). */
export function guardRequests(handler: RequestListener, file: string, logger: Logger): RequestListener {
  const cache = new Map<string, boolean>();
  // bcrypt is CPU-heavy: upstream runs one comparison at a time, and so does this queue.
  let comparing: Promise<unknown> = Promise.resolve();
  const compare = (pass: string, hash: string): Promise<boolean> => {
    const next = comparing.then(() => bcrypt.compare(pass, hash).catch(() => false));
    comparing = next;
    return next;
  };
  const remember = (key: string, ok: boolean) => {
    if (cache.size >= CACHE_SIZE) {
      const keys = [...cache.keys()];
      cache.delete(keys[Math.floor(Math.random() * keys.length)] as string);
    }
    cache.set(key, ok);
  };

  const authorize = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    let config: Awaited<ReturnType<typeof readWebConfig>>;
    try {
      config = await readWebConfig(file);
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'Unable to parse configuration');
      goError(res, 500, 'Internal Server Error');
      return false;
    }
    for (const [name, value] of Object.entries(config.headers)) res.setHeader(name, value);
    if (config.users.size === 0) return true;
    const auth = basicAuth(req);
    if (auth) {
      const known = config.users.get(auth.user);
      const hash = known ?? FAKE_HASH;
      const key = [auth.user, hash, auth.pass].map((s) => Buffer.from(s).toString('hex')).join(':');
      let ok = cache.get(key);
      if (ok === undefined) {
        ok = known !== undefined && (await compare(auth.pass, hash));
        remember(key, ok);
      }
      if (ok && known !== undefined) return true;
    }
    res.setHeader('WWW-Authenticate', 'Basic');
    goError(res, 401, 'Unauthorized');
    return false;
  };

  return (req, res) => {
    // The request's body waits, unread, until it has passed.
    authorize(req, res).then(
      (ok) => {
        if (ok) handler(req, res);
      },
      (err) => {
        logger.error({ err }, 'web config check failed');
        if (!res.headersSent) goError(res, 500, 'Internal Server Error');
      },
    );
  };
}
