/**
 * Issue 13, scenario 8: every look a hotplug wait takes at the metadata service costs CPU
 * (under emulation, a spawn of `ip` from the single executable and the schema check are
 * most of it): the address to ask is found once per run, and an unchanged document is
 * not parsed again.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/kernel/run.js';
import { loadNetworkData } from '../../src/metadata/source.js';

const LATEST = '/openstack/latest/network_data.json';
const doc = (ip: string) =>
  JSON.stringify({
    links: [{ id: 'tap0', type: 'ovs', ethernet_mac_address: 'fa:16:3e:00:00:01' }],
    networks: [{ id: 'n0', type: 'ipv4', link: 'tap0', ip_address: ip, netmask: '255.255.255.0' }],
  });

function fakeGuest() {
  const calls: string[] = [];
  const run: Run = async (command, args) => {
    calls.push([command, ...args].join(' '));
    if (command === 'ip' && args.includes('get'))
      return { stdout: '[{"dst":"169.254.169.254","dev":"ens3"}]', stderr: '', exitCode: 0 };
    return { stdout: '', stderr: `unexpected ${command}`, exitCode: 127 };
  };
  return { run, calls };
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe('the looks of a wait at the metadata service', () => {
  it('find the address to ask once per run, not once per look', async () => {
    const guest = fakeGuest();
    nock('http://169.254.169.254').get(LATEST).times(3).reply(200, doc('203.0.113.21'));
    for (let look = 0; look < 3; look++) await loadNetworkData({ source: 'metadata' }, guest.run);
    expect(guest.calls).toEqual(['ip -j route get 169.254.169.254']);
    // Another run (another runner) looks for itself.
    const other = fakeGuest();
    nock('http://169.254.169.254').get(LATEST).reply(200, doc('203.0.113.21'));
    await loadNetworkData({ source: 'metadata' }, other.run);
    expect(other.calls).toEqual(['ip -j route get 169.254.169.254']);
  });

  it('hand back the document read before when the text is the same, and parse a changed one', async () => {
    const guest = fakeGuest();
    nock('http://169.254.169.254').get(LATEST).times(2).reply(200, doc('203.0.113.21'));
    nock('http://169.254.169.254').get(LATEST).reply(200, doc('203.0.113.22'));
    const first = await loadNetworkData({ source: 'metadata' }, guest.run);
    const same = await loadNetworkData({ source: 'metadata' }, guest.run, first);
    expect(same).toBe(first);
    const changed = await loadNetworkData({ source: 'metadata' }, guest.run, first);
    expect(changed).not.toBe(first);
    expect(changed.data.networks[0]?.address?.address).toBe('203.0.113.22');
  });
});
