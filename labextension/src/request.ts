/**
 * The one place that talks to the server extension's REST API (`<base_url>/jupyter-track/api/`).
 *
 * Every request goes through ServerConnection so the page's token and XSRF cookie are sent the same way
 * JupyterLab's own requests send them; panels never build URLs or headers themselves.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ErrorAnswer } from './tokens';

/** A run named across projects: what commands take as arguments and `runPath` addresses. */
export interface RunRef {
  project: string;
  runId: string;
}

/** A non-2xx answer: its message (the server's `{"error": ...}` text), HTTP status and JSON body. */
export class APIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: Partial<ErrorAnswer> | null
  ) {
    super(message);
    this.name = 'APIError';
  }
}

/** Query string values; arrays repeat the key (`tag=a&tag=b`), undefined values are left out. */
export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** Options of one API call. `body` is sent as JSON. */
export interface RequestInit {
  method?: string;
  body?: unknown;
  query?: Query;
}

/** The API's root URL, e.g. `http://host/user/x/jupyter-track/api/`. */
export function apiRoot(settings?: ServerConnection.ISettings): string {
  const s = settings ?? ServerConnection.makeSettings();
  return URLExt.join(s.baseUrl, 'jupyter-track', 'api') + '/';
}

/** `a=1&tag=x&tag=y`: keys in the given order, arrays repeated, undefined skipped. */
export function encodeQuery(query?: Query): string {
  if (!query) {
    return '';
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) {
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.join('&');
}

/** The API path of a run (`runs/<project>/<id>`), plus `suffix` (`/metrics`, `/restore`, ...). */
export function runPath(ref: RunRef, suffix = ''): string {
  return `runs/${encodeURIComponent(ref.project)}/${encodeURIComponent(ref.runId)}${suffix}`;
}

/**
 * Calls `<base_url>/jupyter-track/api/<path>` with the server's auth/XSRF (ServerConnection).
 * Throws an {@link APIError} with the server's JSON `{"error": ...}` text on a non-2xx answer, and an `Error` when
 * the server cannot be reached.
 */
export async function requestAPI<T = any>(path: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const query = encodeQuery(init.query);
  const url = apiRoot(settings) + path.replace(/^\/+/, '') + (query ? `?${query}` : '');
  const request: globalThis.RequestInit = { method: init.method ?? 'GET' };
  if (init.body !== undefined) {
    request.body = JSON.stringify(init.body);
    request.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, request, settings);
  } catch (error) {
    throw new Error(`jupyter-track server extension unreachable: ${String(error)}`);
  }
  const text = await response.text();
  let data: any = undefined;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const message =
      data && typeof data === 'object' && 'error' in data
        ? String(data.error)
        : `${response.status} ${response.statusText}${typeof data === 'string' ? `: ${data.slice(0, 200)}` : ''}`;
    throw new APIError(message, response.status, data && typeof data === 'object' ? data : null);
  }
  return data as T;
}

/**
 * A URL usable as `<img src>` for a blob path the API returned: absolute URLs pass through, server paths that
 * start with `/` get the page origin, and API-relative paths (`blobs/...`) get the API root. The token is not
 * appended: the page's cookie authenticates GETs from the same origin.
 */
export function blobUrl(relativeOrAbsolute: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(relativeOrAbsolute)) {
    return relativeOrAbsolute;
  }
  if (relativeOrAbsolute.startsWith('/')) {
    return relativeOrAbsolute;
  }
  return apiRoot() + relativeOrAbsolute;
}
