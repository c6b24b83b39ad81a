/** The mock metadata service itself, in-process on loopback, with each fault mode. */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoggedRequest, MockConfig } from '../../mocks/metadata/config.js';
import { createMetadataServer } from '../../mocks/metadata/server.js';

const DOC = { links: [{ id: 'tap0', type: 'ovs', ethernet_mac_address: 'fa:16:3e:00:00:01' }], networks: [] };
let close: (() => Promise<void>) | undefined;

async function serve(config: MockConfig): Promise<{ base: string; log: LoggedRequest[] }> {
  const log: LoggedRequest[] = [];
  const server = createMetadataServer({ config: () => config, log: (entry) => log.push(entry) });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  close = () =>
    new Promise((done) =>
      server.close(() => {
        done();
      }),
    );
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('the mock metadata service', () => {
  it('serves user_data when the config has one, and 404 (as Nova without one) when not', async () => {
    const withData = await serve({ networkData: DOC, userData: '#cloud-config\n' });
    expect(await (await fetch(`${withData.base}/openstack/latest/user_data`)).text()).toBe('#cloud-config\n');
    await close?.();
    const without = await serve({ networkData: DOC });
    expect((await fetch(`${without.base}/openstack/latest/user_data`)).status).toBe(404);
  });

  it("lists Nova's versions and serves network_data.json for 2015-10-15 and later only", async () => {
    const { base } = await serve({ networkData: DOC });
    expect((await (await fetch(`${base}/openstack`)).text()).split('\n')).toContain('2015-10-15');
    expect(await (await fetch(`${base}/openstack/latest/network_data.json`)).json()).toEqual(DOC);
    expect((await fetch(`${base}/openstack/2016-06-30/network_data.json`)).status).toBe(200);
    expect((await fetch(`${base}/openstack/2013-04-04/network_data.json`)).status).toBe(404);
  });

  it('fails the first N requests with the status asked for, and logs each', async () => {
    const { base, log } = await serve({ networkData: DOC, failFirst: { count: 2, status: 503 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${base}/openstack/latest/network_data.json`)).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(log.map((entry) => entry.status)).toEqual([503, 503, 200]);
  });

  it('drops connections, truncates, answers HTML or 404, and lists only latest, on demand', async () => {
    const dropped = await serve({ networkData: DOC, dropFirst: 1 });
    await expect(fetch(`${dropped.base}/openstack/latest/network_data.json`)).rejects.toThrow();
    expect((await fetch(`${dropped.base}/openstack/latest/network_data.json`)).status).toBe(200);
    await close?.();

    const truncated = await serve({ networkData: DOC, truncate: true });
    const text = await (await fetch(`${truncated.base}/openstack/latest/network_data.json`)).text();
    expect(() => JSON.parse(text) as unknown).toThrow();
    await close?.();

    const html = await serve({ networkData: DOC, htmlBody: true });
    const answer = await fetch(`${html.base}/openstack/latest/network_data.json`);
    expect(answer.headers.get('content-type')).toBe('text/html');
    await close?.();

    const notFound = await serve({ networkData: DOC, notFound: true, versions: ['latest'] });
    expect((await fetch(`${notFound.base}/openstack/latest/network_data.json`)).status).toBe(404);
    expect(await (await fetch(`${notFound.base}/openstack`)).text()).toBe('latest');
  });
});
