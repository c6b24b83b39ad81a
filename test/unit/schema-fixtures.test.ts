import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNetworkData } from '../../src/schema/parse.js';

const here = fileURLToPath(new URL('../fixtures/', import.meta.url));
const files = [
  ...readdirSync(join(here, 'network_data')).filter((name) => name.endsWith('.json')).map((name) => join('network_data', name)),
  join('guests', 'three-nics.json'),
];

describe('real network_data.json documents (test/fixtures, see SOURCES.md)', () => {
  it('has the documents SOURCES.md lists', () => {
    const sources = readFileSync(join(here, 'network_data', 'SOURCES.md'), 'utf8');
    for (const file of files) expect(sources).toContain(`\`${file.replace(/^network_data\//, '').replace(/^guests\//, '../guests/')}\``);
  });

  describe.each(files)('%s', (file) => {
    const json = JSON.parse(readFileSync(join(here, file), 'utf8')) as { links: unknown[]; networks?: unknown[] };
    it('parses, keeping every link and every network of a known type', () => {
      const { data } = parseNetworkData(json);
      expect(data.links).toHaveLength(json.links.length);
      expect(data.networks).toHaveLength(json.networks?.length ?? 0);
      for (const link of data.links) expect(link.mac === undefined || /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(link.mac)).toBe(true);
    });
  });

  it('reads the bond and its VLANs of the Open Telekom Cloud bare-metal document', () => {
    const { data } = parseNetworkData(JSON.parse(readFileSync(join(here, 'network_data', 'otc-bms-bond-vlan.json'), 'utf8')));
    const bond = data.links.find((link) => link.id === 'interface0');
    expect(bond).toMatchObject({ kind: 'bond', mac: 'fa:16:3e:3f:15:55', bond: { memberIds: ['eth0', 'eth1'], mode: '1' } });
    expect(data.links.find((link) => link.id === 'interface1')).toMatchObject({ kind: 'vlan', mac: 'fa:16:3e:87:0b:67', vlan: { parentId: 'interface0', vlanId: 2315 } });
    expect(data.networks.find((network) => network.id === 'network0')).toMatchObject({ source: 'dhcp', gateway: '192.168.66.1' });
    expect(data.networks.find((network) => network.id === 'network2')?.address).toEqual({ address: '192.168.81.99', prefix: 22 });
    expect(data.dns).toEqual(['100.125.4.25', '8.8.8.8']);
  });

  it('reads a metal3 document whose links have names instead of MACs', () => {
    const { data, notes } = parseNetworkData(JSON.parse(readFileSync(join(here, 'network_data', 'metal3-bond-vlans-no-mac.json'), 'utf8')));
    expect(data.links.find((link) => link.id === 'eno4')).toMatchObject({ kind: 'physical', name: 'eno4' });
    expect(data.links.find((link) => link.id === 'bond0.41')).toMatchObject({ kind: 'vlan', vlan: { parentId: 'bond0', vlanId: 41 } });
    expect(data.links.find((link) => link.id === 'bond0.41')?.mac).toBeUndefined();
    const oam6 = data.networks.find((network) => network.id === 'oam-ipv6');
    expect(oam6).toMatchObject({ family: 6, gateway: '2001:1890:1001:293d::1', address: { address: '2001:1890:1001:293d::139', prefix: 64 } });
    expect(notes.some((note) => note.message.includes('assuming /64'))).toBe(true);
  });

  it('accepts the unknown link type "cascading" as physical, with a warning', () => {
    const { data, notes } = parseNetworkData(JSON.parse(readFileSync(join(here, 'network_data', 'otc-bms-cascading-dhcp.json'), 'utf8')));
    expect(data.links[0]).toMatchObject({ kind: 'physical', mac: 'fa:16:3e:f7:c1:47' });
    expect(notes).toContainEqual({ level: 'warn', message: 'link tap68a9272d-71 (fa:16:3e:f7:c1:47): unknown type "cascading", treated as a physical link' });
  });
});
