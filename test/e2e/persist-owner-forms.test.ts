/**
 * Issue 14, harm 2: multinic's persisted files join the owner's configuration in the form
 * the owner already uses for each device. The owner here is what Debian's cloud-init 22.4
 * renders (`cloud-init devel net-convert`) for bond and VLAN documents; multinic renders for
 * a guest with those devices (no VLAN or bond can be created on the test machines, so the
 * guest's interfaces are written as `ip` would report them), its files go beside
 * cloud-init's, and the owner's own tools must accept the combination: `netplan generate`
 * (with the rules and table routes in its output), `ifup --no-act` (with multinic's rule
 * and route commands in what it would run) and `nmcli --offline` (multinic's lines inside
 * cloud-init's own connections, with the rules and table routes in what NM loads, and
 * taken back to the byte by a run that manages none of the NICs).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, assert, describe, expect, it } from 'vitest';
import { mapLinks } from '../../src/links/map.js';
import type { KernelInterface, NetworkData } from '../../src/model/types.js';
import { readTreeFacts } from '../../src/persist/read-tree.js';
import { renderBackend } from '../../src/persist/render.js';
import type { Backend, PersistInput, RenderedFile } from '../../src/persist/types.js';
import { routingOf } from '../../src/persist/common.js';
import { validateNetplan } from '../../src/persist/validate-netplan.js';
import { validateNetworkManager } from '../../src/persist/validate-nm.js';
import { takeBackMultinic } from '../../src/persist/nm-keyfile.js';
import { writePersisted } from '../../src/persist/write.js';
import { emptyState } from '../../src/plan/allocate.js';
import { plan } from '../../src/plan/plan.js';
import { parseNetworkData } from '../../src/schema/parse.js';
import { sections } from '../support/sections.js';

const tools = ['cloud-init', 'netplan', 'nmcli', 'ifup'];
const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0 && process.env.CI)
  throw new Error(`missing ${missing.join(', ')}: apt-get install cloud-init netplan.io network-manager ifupdown`);

const FIXTURES = fileURLToPath(new URL('../fixtures/network_data/', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'multinic-owner-'));

/** The interface names cloud-init gives: physical links by the -m mapping, bonds by id, VLANs parent.id. */
function guestFor(data: NetworkData): { interfaces: KernelInterface[]; macArgs: string[] } {
  const names = new Map<string, string>();
  const macArgs: string[] = [];
  let index = 0;
  for (const link of data.links.filter((candidate) => candidate.kind === 'physical')) {
    const name = link.name ?? `eth${index++}`;
    names.set(link.id, name);
    if (link.mac) macArgs.push('-m', `${name},${link.mac}`);
  }
  for (const link of data.links.filter((candidate) => candidate.kind === 'bond'))
    names.set(link.id, link.name ?? link.id);
  for (const link of data.links.filter((candidate) => candidate.kind === 'vlan')) {
    names.set(link.id, link.name ?? `${names.get(link.vlan?.parentId ?? '') ?? '?'}.${link.vlan?.vlanId ?? '?'}`);
  }
  const byId = new Map(data.links.map((link) => [link.id, link]));
  const interfaces = data.links.map((link, position): KernelInterface => {
    const parent = link.vlan ? byId.get(link.vlan.parentId) : undefined;
    const mac =
      link.mac ??
      parent?.mac ??
      byId.get(link.bond?.memberIds[0] ?? '')?.mac ??
      `fa:16:3e:14:00:${(position + 16).toString(16)}`;
    return {
      name: names.get(link.id)!,
      index: position + 2,
      mac,
      ...(link.kind === 'vlan'
        ? { kind: 'vlan', parent: names.get(link.vlan?.parentId ?? ''), vlanId: link.vlan?.vlanId }
        : {}),
      ...(link.kind === 'bond' ? { kind: 'bond' } : {}),
      up: true,
      loopback: false,
      addresses: data.networks
        .filter((network) => network.linkId === link.id && network.address)
        .map((network) => ({
          family: network.family,
          address: network.address!.address,
          prefix: network.address!.prefix,
          scope: 'global',
          dynamic: false,
        })),
    };
  });
  return { interfaces, macArgs };
}

async function writeTree(root: string, files: RenderedFile[]) {
  for (const file of files) {
    await mkdir(dirname(join(root, file.path)), { recursive: true });
    await writeFile(join(root, file.path), file.content, { mode: file.mode });
  }
}

/** cloud-init's rendering of the fixture, then multinic's beside it; returns the root and the plan. */
async function combine(fixture: string, output: 'netplan' | 'eni' | 'network-manager', backend: Backend) {
  const data = parseNetworkData(JSON.parse(await readFile(join(FIXTURES, fixture), 'utf8'))).data;
  const { interfaces, macArgs } = guestFor(data);
  const root = join(work, `${fixture}-${output}`);
  const converted = spawnSync(
    'cloud-init',
    [
      'devel',
      'net-convert',
      '-p',
      join(FIXTURES, fixture),
      '-k',
      'network_data.json',
      '-d',
      root,
      '-D',
      'debian',
      '-O',
      output,
      ...macArgs,
    ],
    { encoding: 'utf8' },
  );
  expect(converted.status, converted.stderr).toBe(0);
  for (const dir of ['etc/netplan']) {
    for (const name of await readdir(join(root, dir)).catch(() => [] as string[]))
      spawnSync('chmod', ['600', join(root, dir, name)]);
  }
  const mapping = mapLinks(data, interfaces);
  const planned = plan({ mapping, owned: { routes: [], rules: [] }, state: emptyState() });
  const rendered = renderBackend(backend, {
    nics: planned.nics,
    desired: planned.desired,
    sysctl: [],
    tree: await readTreeFacts(root),
  });
  return { root, planned, rendered, interfaces };
}

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.skipIf(missing.length > 0)(
  `persisting beside cloud-init's own rendering (${missing.length ? `missing ${missing.join(', ')}` : tools.join(', ')})`,
  () => {
    it.each([
      ['cloud-init-configdrive-vlan.json', 'vlans', 'eth0.602'],
      ['metal3-bond-vlans-no-mac.json', 'vlans', 'bond0.41'],
    ])(
      'netplan: %s — multinic writes under %s: %s, netplan generate accepts both, with the rules and table routes',
      async (fixture, type, vlan) => {
        const { root, planned, rendered } = await combine(fixture, 'netplan', 'netplan');
        expect(await validateNetplan(root, rendered.files)).toEqual({ verdict: 'accepted' });
        const yaml = rendered.files.find((file) => file.path === '/etc/netplan/90-multinic.yaml')?.content ?? '';
        expect(yaml).toContain(`  ${type}:\n    ${vlan}:\n      routes:`);
        expect(yaml).not.toContain('ethernets:\n    bond0');
        await writeTree(root, rendered.files);
        const generated = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' });
        expect(generated.status, generated.stderr).toBe(0);
        const nic = planned.nics.find((candidate) => candidate.iface === vlan);
        assert(nic, `no planned NIC ${vlan}`);
        const network = sections(
          await readFile(join(root, 'run/systemd/network', `10-netplan-${vlan}.network`), 'utf8'),
        );
        expect(network.filter((s) => s.name === '[RoutingPolicyRule]').map((s) => s.keys)).toContainEqual({
          From: `${nic.addresses[0]!}/${nic.addresses[0]!.includes(':') ? 128 : 32}`,
          Table: String(nic.table),
          Priority: String(nic.priority + 4000),
        });
        expect(network.filter((s) => s.name === '[Route]').some((s) => s.keys.Table === String(nic.table))).toBe(true);
        // cloud-init's own addresses and routes for the VLAN are still there.
        expect(network.find((s) => s.name === '[Network]')?.keys).toBeDefined();
        const dropIn = await readFile(
          join(root, `etc/systemd/network/10-netplan-${vlan}.network.d/90-multinic.conf`),
          'utf8',
        );
        expect(dropIn).toContain('SuppressPrefixLength=0');
      },
    );

    it("netplan: the old form (a VLAN under ethernets: with a MAC match) is refused before writing, with netplan's reason", async () => {
      const { root } = await combine('cloud-init-configdrive-vlan.json', 'netplan', 'netplan');
      const old: RenderedFile = {
        path: '/etc/netplan/90-multinic.yaml',
        content:
          'network:\n  version: 2\n  ethernets:\n    eth0.602:\n      match:\n        macaddress: "fa:16:3e:b3:72:30"\n      routing-policy:\n        - from: "10.0.1.5/32"\n          table: 10001\n',
        mode: 0o600,
      };
      const verdict = await validateNetplan(root, [old]);
      expect(verdict.verdict).toBe('refused');
      expect(verdict.verdict === 'refused' ? verdict.message : '').toMatch(/changes device type|eth0\.602/);
    });

    it('netplan: when the owner\'s configuration does not load by itself (cloud-init writes bond mode "4"), multinic says so instead of judging', async () => {
      const { root, rendered } = await combine('cloud-init-configdrive-bond-vlans.json', 'netplan', 'netplan');
      const verdict = await validateNetplan(root, rendered.files);
      expect(verdict.verdict).toBe('unchecked');
      expect(verdict.verdict === 'unchecked' ? verdict.message : '').toContain(
        "the owner's netplan configuration does not load even without multinic's file",
      );
    });

    it.each([
      'cloud-init-configdrive-bond-vlans.json',
      'cloud-init-configdrive-vlan.json',
      'metal3-bond-vlans-no-mac.json',
    ])(
      "ifupdown: %s — ifup --no-act accepts cloud-init's stanzas with multinic's, and would run its rules and table routes",
      async (fixture) => {
        const { root, planned, rendered } = await combine(fixture, 'eni', 'ifupdown');
        await writeTree(root, rendered.files);
        const top = join(root, 'interfaces');
        await writeFile(top, `source ${join(root, 'etc/network/interfaces.d')}/*\n`);
        expect(planned.nics.length).toBeGreaterThan(0);
        for (const nic of planned.nics) {
          const result = spawnSync(
            'ifup',
            ['--no-act', '-v', '-i', top, '--state-dir', join(root, 'ifstate'), nic.iface],
            { encoding: 'utf8' },
          );
          expect(result.status, `${nic.iface}: ${result.stderr}`).toBe(0);
          const said = result.stdout + result.stderr;
          const family = nic.addresses[0]?.includes(':') ? 6 : 4;
          expect(said).toContain(
            `ip -${family} rule add from ${nic.addresses[0]!}/${family === 4 ? 32 : 128} lookup ${nic.table} priority ${nic.priority + 4000} protocol 147`,
          );
          expect(said).toMatch(new RegExp(`ip -${family} route replace \\S+ .*table ${nic.table} proto 147`));
        }
      },
    );

    it.each([
      // fixture, what it holds, and the interfaces multinic must join (kind: owner's connection type)
      ['cloud-init-configdrive-vlan.json', 'a VLAN on a NIC', { 'eth0.602': 'vlan' }],
      [
        'metal3-bond-vlans-no-mac.json',
        'a plain NIC and VLANs on a bond',
        { eno4: 'ethernet', 'bond0.41': 'vlan', 'bond0.42': 'vlan', 'bond0.44': 'vlan' },
      ],
      ['glean-liberty-bonds-vlans.json', 'plain NICs and a bond with an address', { bond2: 'bond' }],
    ] as const)(
      "NetworkManager: %s (%s) — multinic's routing goes into the owning connection, nmcli --offline keeps every rule and table route, and a later run takes it back to the byte",
      async (fixture, _what, joins) => {
        const { root, planned, rendered } = await combine(fixture, 'network-manager', 'networkmanager');
        const dir = join(root, 'etc/NetworkManager/system-connections');
        const originals = new Map<string, string>();
        for (const name of await readdir(dir)) originals.set(name, await readFile(join(dir, name), 'utf8'));
        expect(await validateNetworkManager(rendered.files)).toEqual({ verdict: 'accepted' });

        for (const [iface, type] of Object.entries(joins)) {
          const nic = planned.nics.find((candidate) => candidate.iface === iface);
          expect(nic, iface).toBeDefined();
          const file = rendered.files.find(
            (candidate) => candidate.path === `/etc/NetworkManager/system-connections/cloud-init-${iface}.nmconnection`,
          );
          expect(file?.join?.ours, iface).toBe(true);
          const original = originals.get(`cloud-init-${iface}.nmconnection`)!;
          // Only lines added: the owner's type, method and addresses as cloud-init wrote them.
          expect(takeBackMultinic(file?.content ?? '')).toBe(original);
          expect(/^type=(.+)$/m.exec(file?.content ?? '')?.[1]).toBe(type);
          // What NetworkManager makes of the combination (nmcli normalizes it as NM loads it).
          const loaded = spawnSync('nmcli', ['--offline', 'connection', 'modify'], {
            input: file?.content,
            encoding: 'utf8',
          });
          expect(loaded.status, `${iface}: ${loaded.stderr}`).toBe(0);
          const ownerLoaded = spawnSync('nmcli', ['--offline', 'connection', 'modify'], {
            input: original,
            encoding: 'utf8',
          });
          for (const family of ['ipv4', 'ipv6'] as const) {
            const before = sections(ownerLoaded.stdout).find((section) => section.name === `[${family}]`)?.keys ?? {};
            const after = sections(loaded.stdout).find((section) => section.name === `[${family}]`)?.keys ?? {};
            if (before.method !== undefined) expect(after.method, `${iface} ${family}`).toBe(before.method);
          }
          for (const address of nic?.addresses ?? []) {
            const family = address.includes(':') ? 'ipv6' : 'ipv4';
            const keys = sections(loaded.stdout).find((section) => section.name === `[${family}]`)?.keys ?? {};
            const values = Object.entries(keys);
            // Each tier's rule for the address, and a table route with it as source.
            for (const rule of routingOf({ desired: planned.desired } as PersistInput, nic!).rules.filter((candidate) =>
              candidate.from.startsWith(`${address}/`),
            )) {
              expect(
                values.some(
                  ([key, value]) =>
                    key.startsWith('routing-rule') &&
                    value.includes(`priority ${rule.priority} `) &&
                    value.includes(`from ${address}`) &&
                    value.includes(`table ${rule.table}`),
                ),
                `${iface}: rule ${JSON.stringify(rule)} in ${JSON.stringify(keys)}`,
              ).toBe(true);
            }
            expect(
              values.some(
                ([key, value]) =>
                  /^route\d+_options$/.test(key) &&
                  value.includes(`src=${address}`) &&
                  value.includes(`table=${String(nic?.table)}`),
              ),
              `${iface} ${address}: table route`,
            ).toBe(true);
            if (
              planned.desired.routes.some(
                (route) =>
                  route.table === nic?.table && route.dst === 'default' && route.family === (family === 'ipv6' ? 6 : 4),
              )
            ) {
              expect(
                values.some(
                  ([key, value]) =>
                    /^route\d+$/.test(key) &&
                    value.startsWith(family === 'ipv6' ? '::/0,' : '0.0.0.0/0,') &&
                    keys[`${key}_options`] === `table=${String(nic?.table)}`,
                ),
                `${iface}: default route in table ${String(nic?.table)}`,
              ).toBe(true);
            }
          }
        }
        // A bond's port never gets anything: NM gives it no IP configuration.
        for (const file of rendered.files.filter((candidate) => candidate.join))
          expect(file.content).not.toMatch(/^(master|slave-type)=/m);

        // Written by the one writer; then a run that manages none of the NICs (all detached).
        const stateDir = join(root, 'state');
        await mkdir(stateDir, { recursive: true });
        const first = await writePersisted(root, stateDir, rendered.files);
        expect(first.refused).toEqual([]);
        const none = renderBackend('networkmanager', {
          nics: [],
          desired: { routes: [], rules: [] },
          sysctl: [],
          tree: await readTreeFacts(root),
        });
        expect(await validateNetworkManager(none.files)).toEqual({ verdict: 'accepted' });
        await writePersisted(root, stateDir, none.files);
        for (const [name, text] of originals) expect(await readFile(join(dir, name), 'utf8'), name).toBe(text);
        expect((await readdir(dir)).sort()).toEqual([...originals.keys()].sort());
      },
    );

    it("NetworkManager: a keyfile NM would load without one of multinic's rules is refused, naming the file", async () => {
      const { rendered } = await combine('cloud-init-configdrive-vlan.json', 'network-manager', 'networkmanager');
      // NM drops a routing rule without a priority silently (nmcli still exits 0): the count catches it.
      const broken = rendered.files.map((file) =>
        file.join?.ours ? { ...file, content: file.content.replace(/^(routing-rule\d+=)priority \d+ /m, '$1') } : file,
      );
      const verdict = await validateNetworkManager(broken);
      expect(verdict).toMatchObject({
        verdict: 'refused',
        file: '/etc/NetworkManager/system-connections/cloud-init-eth0.602.nmconnection',
      });
      expect(verdict.verdict === 'refused' ? verdict.message : '').toMatch(/routing rule/);
    });
  },
);
