/**
 * A NIC no owner configures (an attached port; multinic puts its addresses on itself) gets
 * no configuration of its own, but networkd drops routing policy rules no .network file
 * asks for whenever it configures a link (`networkctl reload`): its rules ride on the first
 * owned NIC's configuration (issue 13, VM scenario 7 on netplan: the port went silent).
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Nic } from '../../src/model/types.js';
import { renderBackend } from '../../src/persist/render.js';
import type { PersistInput, TreeFacts } from '../../src/persist/types.js';
import { emptyState } from '../../src/plan/allocate.js';
import { plan } from '../../src/plan/plan.js';
import { aNic, aNicAddress } from './builders.js';

const tree: TreeFacts = {
  networkdFiles: [{ path: '/run/systemd/network/10-netplan-ens3.network', names: ['ens3'], macs: [] }],
  nmConnections: [],
  netplanDefinitions: [
    {
      file: '/etc/netplan/50-cloud-init.yaml',
      type: 'ethernets',
      id: 'ens3',
      mac: 'fa:16:3e:a1:00:01',
      setName: 'ens3',
    },
  ],
  rtProtosDir: false,
  rtTablesDir: false,
};
const ens3 = aNic({
  mac: 'fa:16:3e:a1:00:01',
  iface: 'ens3',
  addresses: [aNicAddress('203.0.113.21', 24, { gateway: '203.0.113.1' })],
});
const ens6 = aNic({
  mac: 'fa:16:3e:a1:00:06',
  iface: 'ens6',
  addresses: [aNicAddress('192.0.2.31', 24, { gateway: '192.0.2.1' })],
});

function input(nics: Nic[], unownedMacs: string[]): PersistInput {
  const planned = plan({
    mapping: { nics, missing: [], unlisted: [], absentAddresses: [], notes: [] },
    owned: { routes: [], rules: [] },
    state: emptyState(),
    sysctls: { live: new Map(), originals: {} },
  });
  return {
    nics: planned.nics.filter((nic) => !unownedMacs.includes(nic.mac)),
    unowned: planned.nics.filter((nic) => unownedMacs.includes(nic.mac)),
    desired: planned.desired,
    sysctl: [],
    tree,
  };
}

describe('the rules of a NIC no owner configures', () => {
  const withPort = input([ens3, ens6], [ens6.mac]);
  const port = withPort.unowned?.[0];
  const portRules = withPort.desired.rules.filter((rule) => rule.from.startsWith('192.0.2.31'));

  it("netplan: ride on the owned NIC's definition (and its networkd drop-in), with nothing written that matches the port", () => {
    expect(port?.iface).toBe('ens6');
    expect(portRules.length).toBeGreaterThan(0);
    const files = renderBackend('netplan', withPort).files;
    const yaml = files.find((file) => file.path === '/etc/netplan/90-multinic.yaml')?.content ?? '';
    const doc = parseYaml(yaml) as {
      network: { ethernets: Record<string, { 'routing-policy': { from: string; table: number; priority: number }[] }> };
    };
    expect(Object.keys(doc.network.ethernets)).toEqual(['ens3']);
    const policy = doc.network.ethernets.ens3?.['routing-policy'] ?? [];
    for (const rule of portRules.filter((candidate) => candidate.suppressPrefixlength === undefined)) {
      expect(policy).toContainEqual(
        expect.objectContaining({ from: rule.from, table: rule.table, priority: rule.priority }),
      );
    }
    expect(yaml).not.toContain(ens6.mac);
    const dropIn =
      files.find((file) => file.path === '/etc/systemd/network/10-netplan-ens3.network.d/90-multinic.conf')?.content ??
      '';
    expect(dropIn).toMatch(/From=192\.0\.2\.31\/32\nTable=main\nPriority=\d+\nSuppressPrefixLength=0/);
    // Without the port, nothing of it.
    expect(
      renderBackend('netplan', input([ens3], []))
        .files.map((file) => file.content)
        .join('\n'),
    ).not.toContain('192.0.2.31');
  });

  it("networkd: ride on the owned NIC's drop-in", () => {
    const files = renderBackend('networkd', withPort).files;
    expect(files.map((file) => file.path).filter((path) => path.includes('network.d'))).toEqual([
      '/etc/systemd/network/10-netplan-ens3.network.d/90-multinic.conf',
    ]);
    const dropIn = files[0]?.content ?? '';
    for (const rule of portRules) expect(dropIn).toContain(`[RoutingPolicyRule]\nFrom=${rule.from}\n`);
    expect(dropIn).not.toMatch(/\[Route\][^[]*192\.0\.2\.1/);
  });
});
