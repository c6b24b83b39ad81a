import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MetadataUnavailable } from '../../src/errors.js';
import { backoffMs, fetchNetworkData, pickVersions, type RetryNotice } from '../../src/metadata/fetch-metadata.js';

const BASE = 'http://169.254.169.254';
const DOC = { links: [], networks: [] };

/** A clock that only moves when the code under test sleeps: no test waits for real. */
function fakeTime() {
  let now = 0;
  const slept: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)), slept, random: () => 0.5 };
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('fetchNetworkData', () => {
  it('makes one request when latest answers', async () => {
    nock(BASE).get('/openstack/latest/network_data.json').reply(200, JSON.stringify(DOC));
    const result = await fetchNetworkData(BASE, { timeoutMs: 1000, deadlineMs: 10_000, ...fakeTime() });
    expect(result).toMatchObject({ url: `${BASE}/openstack/latest/network_data.json`, attempts: 1 });
    expect(JSON.parse(result.text)).toEqual(DOC);
  });

  it.each([
    ['HTTP 500', (scope: nock.Interceptor) => scope.reply(500, 'oops')],
    ['HTTP 503', (scope: nock.Interceptor) => scope.reply(503)],
    ['HTTP 408', (scope: nock.Interceptor) => scope.reply(408)],
    ['HTTP 429', (scope: nock.Interceptor) => scope.reply(429)],
    [
      'a dropped connection',
      (scope: nock.Interceptor) => scope.replyWithError({ code: 'ECONNRESET', message: 'socket hang up' }),
    ],
    ['a truncated body', (scope: nock.Interceptor) => scope.reply(200, JSON.stringify(DOC).slice(0, 10))],
    [
      "a proxy's HTML page",
      (scope: nock.Interceptor) => scope.reply(200, '<html>login</html>', { 'Content-Type': 'text/html' }),
    ],
  ])('retries after %s, with backoff, and says so', async (_what, fault) => {
    fault(nock(BASE).get('/openstack/latest/network_data.json'));
    fault(nock(BASE).get('/openstack/latest/network_data.json'));
    nock(BASE).get('/openstack/latest/network_data.json').reply(200, JSON.stringify(DOC));
    const time = fakeTime();
    const notices: RetryNotice[] = [];
    const result = await fetchNetworkData(BASE, {
      timeoutMs: 1000,
      deadlineMs: 60_000,
      onRetry: (notice) => notices.push(notice),
      ...time,
    });
    expect(result.attempts).toBe(3);
    expect(time.slept).toEqual([500, 1000]); // 500 ms then 1 s (jitter at its middle)
    expect(notices.map((notice) => notice.attempt)).toEqual([2, 3]);
  });

  it('retries an answer slower than the per-request timeout', async () => {
    nock(BASE).get('/openstack/latest/network_data.json').delay(2000).reply(200, JSON.stringify(DOC));
    nock(BASE).get('/openstack/latest/network_data.json').reply(200, JSON.stringify(DOC));
    const notices: RetryNotice[] = [];
    const result = await fetchNetworkData(BASE, {
      timeoutMs: 50,
      deadlineMs: 60_000,
      onRetry: (notice) => notices.push(notice),
      ...fakeTime(),
    });
    expect(result.attempts).toBe(2);
    expect(notices).toEqual([
      {
        attempt: 2,
        delayMs: 500,
        reason: `${BASE}/openstack/latest/network_data.json: no answer before the timeout`,
        url: `${BASE}/openstack/latest/network_data.json`,
      },
    ]);
  });

  it('does not retry a 403: exit 69 at once, naming the URL', async () => {
    nock(BASE).get('/openstack/latest/network_data.json').reply(403);
    const time = fakeTime();
    const error = await fetchNetworkData(BASE, { timeoutMs: 1000, deadlineMs: 60_000, ...time }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MetadataUnavailable);
    expect((error as Error).message).toBe(`${BASE}/openstack/latest/network_data.json: HTTP 403`);
    expect(time.slept).toEqual([]);
  });

  it('gives up at the deadline with exit 69, saying how often it tried', async () => {
    nock(BASE).get('/openstack/latest/network_data.json').times(4).reply(500);
    const time = fakeTime();
    const error = await fetchNetworkData(BASE, { timeoutMs: 1000, deadlineMs: 4000, ...time }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MetadataUnavailable);
    expect((error as Error).message).toMatch(
      /no answer within the deadline of 4 s \(--deadline\) after 4 attempt\(s\); last: .*HTTP 500/,
    );
    expect(time.now()).toBeLessThanOrEqual(4000);
    nock.cleanAll();
  });

  it('bounds version negotiation by the deadline: a slow service listing 60 versions is not asked 60 times (issue 17)', async () => {
    // Each answer takes 2 s of the fake clock; on the old main every request had its own
    // timeout and the run took 62 s against --deadline 10.
    const time = fakeTime();
    const slow =
      (status: number, body = '') =>
      () => {
        // The fake clock moves at once; the promise has nothing left to wait for.
        void time.sleep(2000);
        return [status, body] as [number, string];
      };
    const versions = Array.from(
      { length: 60 },
      (_, i) => `2016-${String((i % 12) + 1).padStart(2, '0')}-${String(Math.floor(i / 12) + 10)}`,
    );
    nock(BASE).get('/openstack/latest/network_data.json').reply(slow(404));
    nock(BASE)
      .get('/openstack')
      .reply(slow(200, versions.join('\n')));
    let dated = 0;
    nock(BASE)
      .get(/\/openstack\/2016-.*\/network_data.json/)
      .times(60)
      .reply(() => {
        dated++;
        return slow(404)();
      });
    const error = await fetchNetworkData(BASE, { timeoutMs: 5000, deadlineMs: 10_000, ...time }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MetadataUnavailable);
    expect((error as Error).message).toMatch(/deadline of 10 s \(--deadline\)/);
    expect(dated).toBeLessThanOrEqual(4);
    expect(time.now()).toBeLessThanOrEqual(12_000);
    nock.cleanAll();
  });

  it('negotiates a dated version when latest has no network_data.json', async () => {
    nock(BASE).get('/openstack/latest/network_data.json').reply(404);
    nock(BASE).get('/openstack').reply(200, '2012-08-10\n2013-04-04\n2015-10-15\n2016-06-30\nlatest');
    nock(BASE).get('/openstack/2016-06-30/network_data.json').reply(200, JSON.stringify(DOC));
    const result = await fetchNetworkData(BASE, { timeoutMs: 1000, deadlineMs: 10_000, ...fakeTime() });
    expect(result.url).toBe(`${BASE}/openstack/2016-06-30/network_data.json`);
  });

  it('says so when no version has network_data.json', async () => {
    nock(BASE).get('/openstack/latest/network_data.json').reply(404);
    nock(BASE).get('/openstack').reply(200, '2012-08-10\n2013-04-04\nlatest');
    await expect(fetchNetworkData(BASE, { timeoutMs: 1000, deadlineMs: 10_000, ...fakeTime() })).rejects.toThrow(
      /lists no version with network_data.json/,
    );
  });
});

describe('version list and backoff', () => {
  it('keeps dated versions from 2015-10-15 on, newest first', () => {
    expect(pickVersions('2012-08-10\n2015-10-15\n2018-08-27\nlatest\n2016-06-30\n')).toEqual([
      '2018-08-27',
      '2016-06-30',
      '2015-10-15',
    ]);
  });

  it('doubles up to 8 s, with jitter between 50% and 150%', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, () => 0.5))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000,
    ]);
    expect(backoffMs(1, () => 0)).toBe(250);
    expect(backoffMs(1, () => 0.999)).toBeLessThanOrEqual(750);
  });
});
