/**
 * Calls to miniprom's HTTP API from the pages, read as upstream's UI reads them: the envelope's
 * `data` on success; on failure an ApiError carrying the API's own `error` text, which the pages
 * show as it is.
 */
import { pathPrefix } from './prefix.js';

/** A failed API call: `message` is the API's `error` field (or the HTTP status text). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A successful answer: the data, and the warnings and infos the API attached. */
export interface ApiAnswer<T> {
  data: T;
  warnings: string[];
  infos: string[];
}

interface Envelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
  infos?: string[];
}

/** GET `/api/v1<path>` with `params`; throws ApiError when the API answers an error. */
export async function apiGet<T>(
  path: string,
  params: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<ApiAnswer<T>> {
  const query = new URLSearchParams(params).toString();
  let res: Response;
  try {
    res = await fetch(`${pathPrefix()}/api/v1${path}${query ? `?${query}` : ''}`, { cache: 'no-store', signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('Network error or unable to reach the server', 'network', 0);
  }
  // A 503 while starting up is plain text; an API error is JSON with the same status.
  if (!res.ok && !res.headers.get('content-type')?.startsWith('application/json')) {
    throw new ApiError(res.statusText || `HTTP ${res.status}`, 'http', res.status);
  }
  let body: Envelope<T>;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    throw new ApiError('Invalid JSON response', 'json', res.status);
  }
  if (body.status === 'error') {
    throw new ApiError(body.error ?? 'missing "error" field in response JSON', body.errorType ?? '', res.status);
  }
  return { data: body.data as T, warnings: body.warnings ?? [], infos: body.infos ?? [] };
}

/** The message to show for whatever a call threw. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
