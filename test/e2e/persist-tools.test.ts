/**
 * Issue 6: what the persisters write is accepted by the real tools (Debian's packages):
 * netplan turns it into networkd files with the rules and routes; NetworkManager reads
 * the keyfile back with them; systemd-networkd drop-ins parse as the sections it knows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBackend } from '../../src/persist/render.js';
import type { PersistInput } from '../../src/persist/types.js';
import { emptyState } from '../../src/plan/allocate.js';
import { plan } from '../../src/plan/plan.js';
import { aNic, aNicAddress } from '../unit/builders.js';
import { sections } from '../support/sections.js';

function tool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}
const missing = ['netplan', 'nmcli'].filter((name) => !tool(name));
if (missing.length > 0 && process.env.CI)
  throw new Error(`missing ${missing.join(', ')}: apt-get install netplan.io network-manager`);

const nics = [
  aNic({
    mac: 'fa:16:3e:a1:00:01',
    iface: 'ens3',
    addresses: [
      aNicAddress('203.0.113.21', 24, { gateway: '203.0.113.1' }),
      aNicAddress('2001:db8:a::21', 64, { gateway: 'fe80::1' }),
    ],
  }),
  aNic({
    mac: 'fa:16:3e:a1:00:03',
    iface: 'ens5',
    addresses: [
      aNicAddress('192.0.2.30', 24, {
        gateway: '192.0.2.1',
        routes: [{ family: 4, destination: { address: '198.51.100.0', prefix: 25 }, gateway: '192.0.2.254' }],
      }),
    ],
  }),
];
const planned = plan({
  mapping: { nics, missing: [], unlisted: [], absentAddresses: [], notes: [] },
  owned: { routes: [], rules: [] },
  state: emptyState(),
});
const input: PersistInput = {
  nics: planned.nics,
  desired: planned.desired,
  sysctl: [],
  tree: { networkdFiles: [], nmConnections: [], rtProtosDir: false, rtTablesDir: false },
};

async function writeTree(root: string, files: { path: string; content: string; mode: number }[]) {
  for (const file of files) {
    await mkdir(dirname(join(root, file.path)), { recursive: true });
    await writeFile(join(root, file.path), file.content, { mode: file.mode });
  }
}

describe.skipIf(missing.length > 0)(
  `persisted files checked by the real tools (${missing.length ? `missing ${missing.join(', ')}` : 'netplan, nmcli'})`,
  () => {
    it('netplan generate turns the netplan file into networkd files with every rule and route', async () => {
      const root = await mkdtemp(join(tmpdir(), 'multinic-netplan-'));
      await writeTree(root, renderBackend('netplan', input).files);
      const result = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      const dir = join(root, 'run/systemd/network');
      const generated = new Map<string, ReturnType<typeof sections>>();
      for (const name of await readdir(dir)) generated.set(name, sections(await readFile(join(dir, name), 'utf8')));
      const ens3 = generated.get('10-netplan-ens3.network') ?? [];
      expect(ens3.find((s) => s.name === '[Match]')?.keys).toMatchObject({ PermanentMACAddress: 'fa:16:3e:a1:00:01' });
      // Tiers 1 and 3 of src/plan/local-paths.ts through netplan; tier 2 (suppress_prefixlength,
      // which netplan cannot say) in a networkd drop-in of the file netplan generated.
      const policy = ens3.filter((s) => s.name === '[RoutingPolicyRule]').map((s) => s.keys);
      expect(policy).toContainEqual({
        From: '203.0.113.21/32',
        To: '203.0.113.0/24',
        Table: '10001',
        Priority: '10001',
      });
      expect(policy).toContainEqual({ From: '203.0.113.21/32', To: '192.0.2.0/24', Table: '10001', Priority: '10001' });
      expect(policy).toContainEqual({ From: '203.0.113.21/32', Table: '10001', Priority: '14001' });
      expect(policy).toContainEqual({
        From: '2001:db8:a::21/128',
        To: '2001:db8:a::/64',
        Table: '10001',
        Priority: '10001',
      });
      expect(policy).toContainEqual({ From: '2001:db8:a::21/128', Table: '10001', Priority: '14001' });
      const dropIn = sections(
        await readFile(join(root, 'etc/systemd/network/10-netplan-ens3.network.d/90-multinic.conf'), 'utf8'),
      );
      expect(dropIn.map((s) => s.keys)).toEqual([
        { From: '203.0.113.21/32', Table: 'main', Priority: '12001', SuppressPrefixLength: '0' },
        { From: '2001:db8:a::21/128', Table: 'main', Priority: '12001', SuppressPrefixLength: '0' },
      ]);
      const routes = ens3.filter((s) => s.name === '[Route]').map((s) => s.keys);
      expect(routes).toContainEqual({
        Destination: '203.0.113.0/24',
        PreferredSource: '203.0.113.21',
        Scope: 'link',
        Table: '10001',
      });
      expect(routes).toContainEqual({ Destination: '0.0.0.0/0', Gateway: '203.0.113.1', Table: '10001' });
      expect(routes).toContainEqual({ Destination: '::/0', Gateway: 'fe80::1', GatewayOnLink: 'true', Table: '10001' });
      const ens5 = (generated.get('10-netplan-ens5.network') ?? [])
        .filter((s) => s.name === '[Route]')
        .map((s) => s.keys);
      expect(ens5).toContainEqual({ Destination: '198.51.100.0/25', Gateway: '192.0.2.254', Table: '10002' });
    });

    it('NetworkManager reads the keyfile back without error, with the rules and table routes in it', async () => {
      const files = renderBackend('networkmanager', input).files.filter((file) => file.path.endsWith('.nmconnection'));
      expect(files).toHaveLength(2);
      for (const file of files) {
        const result = spawnSync('nmcli', ['--offline', 'connection', 'modify', 'connection.autoconnect', 'yes'], {
          input: file.content,
          encoding: 'utf8',
        });
        expect(result.status, result.stderr).toBe(0);
        expect(result.stderr).toBe('');
        const read = sections(result.stdout);
        const v4 = read.find((s) => s.name === '[ipv4]')?.keys ?? {};
        const nic = planned.nics.find((candidate) => file.path.endsWith(`multinic-${candidate.iface}.nmconnection`))!;
        const rules = Object.entries(v4)
          .filter(([key]) => key.startsWith('routing-rule'))
          .map(([, value]) => value);
        expect(rules).toContain(
          `priority ${nic.priority} from ${nic.addresses[0]!} to 203.0.113.0/24 table ${nic.table}`,
        );
        expect(rules).toContain(
          `priority ${nic.priority + 2000} from ${nic.addresses[0]!} suppress_prefixlength 0 table 254`,
        );
        expect(rules).toContain(`priority ${nic.priority + 4000} from ${nic.addresses[0]!} table ${nic.table}`);
        expect(
          Object.entries(v4)
            .filter(([key]) => /^route\d+_options$/.test(key))
            .every(([, value]) => value.includes(`table=${nic.table}`)),
        ).toBe(true);
      }
    });

    // systemd-networkd itself has no offline check of a .network file on Debian 12 (no
    // `networkctl verify`, and systemd does not run as init on the test machines); the
    // drop-in is held to the sections and keys of systemd.network(5) instead.
    it('systemd-networkd drop-ins hold only sections and keys networkd knows', () => {
      const files = renderBackend('networkd', {
        ...input,
        tree: {
          ...input.tree,
          networkdFiles: [{ path: '/etc/systemd/network/10-ens3.network', names: ['ens3'], macs: [] }],
        },
      }).files;
      const dropIn = files.find((file) => file.path.endsWith('90-multinic.conf'));
      const known: Record<string, string[]> = {
        '[Route]': ['Destination', 'Gateway', 'GatewayOnLink', 'PreferredSource', 'Scope', 'Table', 'Protocol'],
        '[RoutingPolicyRule]': ['From', 'To', 'Table', 'Priority', 'SuppressPrefixLength'],
      };
      for (const section of sections(dropIn?.content ?? '')) {
        expect(Object.keys(known)).toContain(section.name);
        for (const key of Object.keys(section.keys)) expect(known[section.name]).toContain(key);
      }
    });
  },
);
