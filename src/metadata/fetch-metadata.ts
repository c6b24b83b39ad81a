/**
 * network_data.json from the OpenStack metadata service, patiently: at first boot the
 * service may be slow, flapping or not there yet.
 *
 * One request in the common case: GET {url}/openstack/latest/network_data.json. Only if
 * that is 404 is the version list read (/openstack), and the newest dated version that
 * has network_data.json (2015-10-15 and later) tried. Connection errors, timeouts, 5xx,
 * 408, 429 and bodies that are not JSON (truncated, a proxy's HTML page) are retried with
 * exponential backoff and jitter until the deadline; other 4xx are final. A failed fetch
 * is MetadataUnavailable naming the URL, never an empty document.
 */
import { createRequire } from 'node:module';
import type { LookupFunction } from 'node:net';
import { MetadataUnavailable } from '../errors.js';

export const DEFAULT_METADATA_URL = 'http://169.254.169.254';
/** network_data.json appeared in this metadata version. */
export const FIRST_NETWORK_DATA_VERSION = '2015-10-15';

export function networkDataUrl(baseUrl: string, version = 'latest'): string {
  return `${baseUrl.replace(/\/+$/, '')}/openstack/${version}/network_data.json`;
}

export interface RetryNotice {
  attempt: number;
  delayMs: number;
  reason: string;
  url: string;
}

export interface FetchOptions {
  /** Per request. */
  timeoutMs: number;
  /** For the whole fetch, retries included. */
  deadlineMs: number;
  onRetry?: (notice: RetryNotice) => void;
  /** Injected in tests so no test waits for real. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

interface HttpAnswer {
  status: number;
  body: string;
}

/** Why an attempt failed, and whether another one may help. */
class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

const RETRYABLE_STATUS = new Set([408, 429]);

/**
 * The URL parser (WHATWG) refuses IPv6 zone ids, which a link-local address needs
 * (http://[fe80::a9fe:a9fe%eth0]); such a URL is requested under a placeholder host
 * that a custom lookup resolves to the scoped address.
 */
export function scopedTarget(url: string): { url: string; address?: string } {
  const match = /^http:\/\/\[([0-9a-f:]+)%([^\]]+)\](:\d+)?(\/.*)?$/i.exec(url);
  if (!match) return { url };
  const [, address, zone, port = '', path = ''] = match;
  return { url: `http://link-local.multinic.invalid${port}${path}`, address: `${address!}%${zone!}` };
}

/** A network_data.json is a few kB; anything far larger is not one. */
const MAX_BODY = 4 * 1024 * 1024;

/**
 * One GET with Node's own http client: no proxy (169.254.169.254 is link-local), no
 * redirects, the raw text (parsing is ours), and `timeoutMs` for the whole answer.
 * (axios did this too, but cost 46 kB of the 64 kB a user_data may hold.)
 */
async function get(url: string, timeoutMs: number): Promise<HttpAnswer> {
  // Required when first asked for, not imported: node:http cannot be loaded while a startup
  // snapshot is built (Node 20 fails in its module body), and a run from a snapshot cannot
  // import(). The module object, whose `request` nock replaces in the tests.
  const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
  const target = scopedTarget(url);
  const scoped = target.address;
  return await new Promise<HttpAnswer>((resolve, reject) => {
    const fail = (error: Error) => {
      reject(new AttemptFailed(`${url}: ${describeHttpError(error)}`, true));
    };
    const req = http.request(
      target.url,
      {
        method: 'GET',
        headers: { Accept: 'application/json' },
        ...(scoped
          ? {
              // Node may ask for every address (`all`, for happy eyeballs) or for one.
              lookup: ((
                _host: string,
                options: { all?: boolean },
                done: (error: null, address: unknown, family?: number) => void,
              ) => {
                if (options.all) done(null, [{ address: scoped, family: 6 }]);
                else done(null, scoped, 6);
              }) as unknown as LookupFunction,
            }
          : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY)
            req.destroy(Object.assign(new Error(`answer larger than ${MAX_BODY} bytes`), { code: 'ETOOBIG' }));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', fail);
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    req.end();
  });
}

function check(answer: HttpAnswer, url: string): void {
  if (answer.status === 200) return;
  const retryable = answer.status >= 500 || RETRYABLE_STATUS.has(answer.status);
  throw new AttemptFailed(`${url}: HTTP ${answer.status}`, retryable, answer.status);
}

/** Newest dated version with network_data.json, from the /openstack list. */
export function pickVersions(list: string): string[] {
  return list
    .split('\n')
    .map((line) => line.trim())
    .filter((version) => /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= FIRST_NETWORK_DATA_VERSION)
    .sort()
    .reverse();
}

/**
 * One attempt: every request of it (version negotiation included) is given at most what is
 * left of the deadline, so a slow service that lists many versions cannot stretch the run.
 */
async function fetchOnce(
  baseUrl: string,
  timeoutMs: number,
  end: number,
  now: () => number,
): Promise<{ text: string; url: string }> {
  const budget = (url: string) => {
    const remaining = end - now();
    if (remaining <= 0) throw new AttemptFailed(`${url}: not asked, the deadline had passed`, false);
    return Math.min(timeoutMs, remaining);
  };
  const latest = networkDataUrl(baseUrl);
  const answer = await get(latest, budget(latest));
  if (answer.status !== 404) {
    check(answer, latest);
    return { text: validJson(answer.body, latest), url: latest };
  }
  // An older service without `latest` for network_data.json: negotiate a version.
  const listUrl = `${baseUrl.replace(/\/+$/, '')}/openstack`;
  const list = await get(listUrl, budget(listUrl));
  check(list, listUrl);
  const versions = pickVersions(list.body);
  if (versions.length === 0)
    throw new AttemptFailed(`${latest}: HTTP 404, and ${listUrl} lists no version with network_data.json`, false, 404);
  for (const version of versions) {
    const url = networkDataUrl(baseUrl, version);
    const dated = await get(url, budget(url));
    if (dated.status === 404) continue;
    check(dated, url);
    return { text: validJson(dated.body, url), url };
  }
  throw new AttemptFailed(`${latest}: HTTP 404 for every version (${versions.join(', ')})`, false, 404);
}

function validJson(body: string, url: string): string {
  try {
    JSON.parse(body);
    return body;
  } catch {
    // Truncated, or a proxy's HTML page: not the document, but it may be next time.
    throw new AttemptFailed(
      `${url}: the answer is not JSON (${body.length} bytes, starts "${body.slice(0, 20).replace(/\s+/g, ' ')}")`,
      true,
    );
  }
}

export function backoffMs(attempt: number, random: () => number): number {
  const base = Math.min(8000, 500 * 2 ** (attempt - 1));
  return Math.round(base * (0.5 + random())); // jitter: 50%-150%, so udev-started runs spread out
}

export async function fetchNetworkData(
  baseUrl: string,
  options: FetchOptions,
): Promise<{ text: string; url: string; attempts: number }> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const random = options.random ?? Math.random;
  const end = now() + options.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    const remaining = end - now();
    try {
      const result = await fetchOnce(baseUrl, Math.max(1, Math.min(options.timeoutMs, remaining)), end, now);
      return { ...result, attempts: attempt };
    } catch (error) {
      if (!(error instanceof AttemptFailed)) throw error;
      const delay = backoffMs(attempt, random);
      if (!error.retryable && now() < end) throw new MetadataUnavailable(error.message, { cause: error });
      if (now() + delay >= end) {
        throw new MetadataUnavailable(
          `${networkDataUrl(baseUrl)}: no answer within the deadline of ${Math.round(options.deadlineMs / 1000)} s (--deadline) after ${attempt} attempt(s); last: ${error.message}`,
          { cause: error },
        );
      }
      options.onRetry?.({ attempt: attempt + 1, delayMs: delay, reason: error.message, url: networkDataUrl(baseUrl) });
      await sleep(delay);
    }
  }
}

export function describeHttpError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT') return 'no answer before the timeout';
  if (e.code) return `${e.code}${e.message ? ` (${e.message})` : ''}`;
  return e.message ?? String(error);
}
