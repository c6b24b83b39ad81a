/**
 * Issue 14, harm 2: multinic's persisted files join the owner's configuration in the form
 * the owner already uses for each device. The owner here is what Debian's cloud-init 22.4
 * renders (`cloud-init devel net-convert`) for bond and VLAN documents; multinic renders for
 * a guest with those devices (no VLAN or bond can be created on the test machines, so the
 * guest's interfaces are written as `ip` would report them), its files go beside
 * cloud-init's, and the owner's own tools must accept the combination: `netplan generate`
 * (with the rules and table routes in its output), `ifup --no-act` (with multinic's rule
 * and route commands in what it would run) and `nmcli --offline`.
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
import type { Backend, RenderedFile } from '../../src/persist/types.js';
import { validateNetplan } from '../../src/persist/validate-netplan.js';
import { emptyState } from '../../src/plan/allocate.js';
import { plan } from '../../src/plan/plan.js';
import { parseNetworkData } from '../../src/schema/parse.js';
import { sections } from '../support/sections.js';

const tools = ['cloud-init', 'netplan', 'nmcli', 'ifup'];
const missing = tools.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0 && process.env.CI) throw new Error(`missing ${missing.join(', ')}: apt-get install cloud-init netplan.io network-manager ifupdown`);

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
  for (const link of data.links.filter((candidate) => candidate.kind === 'bond')) names.set(link.id, link.name ?? link.id);
  for (const link of data.links.filter((candidate) => candidate.kind === 'vlan')) {
    names.set(link.id, link.name ?? `${names.get(link.vlan?.parentId ?? '') ?? '?'}.${link.vlan?.vlanId ?? '?'}`);
  }
  const byId = new Map(data.links.map((link) => [link.id, link]));
  const interfaces = data.links.map((link, position): KernelInterface => {
    const parent = link.vlan ? byId.get(link.vlan.parentId) : undefined;
    const mac = link.mac ?? parent?.mac ?? byId.get(link.bond?.memberIds[0] ?? '')?.mac ?? `fa:16:3e:14:00:${(position + 16).toString(16)}`;
    return {
      name: names.get(link.id) as string,
      index: position + 2,
      mac,
      ...(link.kind === 'vlan' ? { kind: 'vlan', parent: names.get(link.vlan?.parentId ?? ''), vlanId: link.vlan?.vlanId } : {}),
      ...(link.kind === 'bond' ? { kind: 'bond' } : {}),
      up: true,
      loopback: false,
      addresses: data.networks
        .filter((network) => network.linkId === link.id && network.address)
        .map((network) => ({ family: network.family, address: network.address!.address, prefix: network.address!.prefix, scope: 'global', dynamic: false })),
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
  const converted = spawnSync('cloud-init', ['devel', 'net-convert', '-p', join(FIXTURES, fixture), '-k', 'network_data.json', '-d', root, '-D', 'debian', '-O', output, ...macArgs], { encoding: 'utf8' });
  expect(converted.status, converted.stderr).toBe(0);
  for (const dir of ['etc/netplan']) {
    for (const name of await readdir(join(root, dir)).catch(() => [] as string[])) spawnSync('chmod', ['600', join(root, dir, name)]);
  }
  const mapping = mapLinks(data, interfaces);
  const planned = plan({ mapping, live: { routes: [], rules: [] }, state: emptyState() });
  const rendered = renderBackend(backend, { nics: planned.nics, desired: planned.desired, sysctl: [], tree: await readTreeFacts(root) });
  return { root, planned, rendered, interfaces };
}

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.skipIf(missing.length > 0)(`persisting beside cloud-init's own rendering (${missing.length ? `missing ${missing.join(', ')}` : tools.join(', ')})`, () => {
  it.each([
    ['cloud-init-configdrive-vlan.json', 'vlans', 'eth0.602'],
    ['metal3-bond-vlans-no-mac.json', 'vlans', 'bond0.41'],
  ])('netplan: %s — multinic writes under %s: %s, netplan generate accepts both, with the rules and table routes', async (fixture, type, vlan) => {
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
    const network = sections(await readFile(join(root, 'run/systemd/network', `10-netplan-${vlan}.network`), 'utf8'));
    expect(network.filter((s) => s.name === '[RoutingPolicyRule]').map((s) => s.keys)).toContainEqual({ From: `${nic.addresses[0]!}/${nic.addresses[0]!.includes(':') ? 128 : 32}`, Table: String(nic.table), Priority: String(nic.priority + 4000) });
    expect(network.filter((s) => s.name === '[Route]').some((s) => s.keys.Table === String(nic.table))).toBe(true);
    // cloud-init's own addresses and routes for the VLAN are still there.
    expect(network.find((s) => s.name === '[Network]')?.keys).toBeDefined();
    const dropIn = await readFile(join(root, `etc/systemd/network/10-netplan-${vlan}.network.d/90-multinic.conf`), 'utf8');
    expect(dropIn).toContain('SuppressPrefixLength=0');
  });

  it('netplan: the old form (a VLAN under ethernets: with a MAC match) is refused before writing, with netplan\'s reason', async () => {
    const { root } = await combine('cloud-init-configdrive-vlan.json', 'netplan', 'netplan');
    const old: RenderedFile = {
      path: '/etc/netplan/90-multinic.yaml',
      content: 'network:\n  version: 2\n  ethernets:\n    eth0.602:\n      match:\n        macaddress: "fa:16:3e:b3:72:30"\n      routing-policy:\n        - from: "10.0.1.5/32"\n          table: 10001\n',
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
    expect(verdict.verdict === 'unchecked' ? verdict.message : '').toContain("the owner's netplan configuration does not load even without multinic's file");
  });

  it.each(['cloud-init-configdrive-bond-vlans.json', 'cloud-init-configdrive-vlan.json', 'metal3-bond-vlans-no-mac.json'])(
    'ifupdown: %s — ifup --no-act accepts cloud-init\'s stanzas with multinic\'s, and would run its rules and table routes',
    async (fixture) => {
      const { root, planned, rendered } = await combine(fixture, 'eni', 'ifupdown');
      await writeTree(root, rendered.files);
      const top = join(root, 'interfaces');
      await writeFile(top, `source ${join(root, 'etc/network/interfaces.d')}/*\n`);
      expect(planned.nics.length).toBeGreaterThan(0);
      for (const nic of planned.nics) {
        const result = spawnSync('ifup', ['--no-act', '-v', '-i', top, '--state-dir', join(root, 'ifstate'), nic.iface], { encoding: 'utf8' });
        expect(result.status, `${nic.iface}: ${result.stderr}`).toBe(0);
        const said = result.stdout + result.stderr;
        const family = nic.addresses[0]?.includes(':') ? 6 : 4;
        expect(said).toContain(`ip -${family} rule add from ${nic.addresses[0]!}/${family === 4 ? 32 : 128} lookup ${nic.table} priority ${nic.priority + 4000} protocol 147`);
        expect(said).toMatch(new RegExp(`ip -${family} route replace \\S+ .*table ${nic.table} proto 147`));
      }
    },
  );

  it.each(['cloud-init-configdrive-bond-vlans.json', 'cloud-init-configdrive-vlan.json'])(
    'NetworkManager: %s — no ethernet connection for a VLAN or bond; nmcli --offline reads every connection of the combination',
    async (fixture) => {
      const { root, planned, rendered } = await combine(fixture, 'network-manager', 'networkmanager');
      await writeTree(root, rendered.files);
      const ours = rendered.files.filter((file) => file.path.endsWith('.nmconnection'));
      for (const file of ours) {
        const iface = /interface-name=(.+)/.exec(file.content)?.[1];
        expect(planned.nics.find((nic) => nic.iface === iface)?.kind ?? 'physical').toBe('physical');
      }
      // Every VLAN or bond of the plan: nothing written, and a note that says why.
      for (const nic of planned.nics.filter((candidate) => candidate.kind === 'vlan' || candidate.kind === 'bond')) {
        expect(rendered.notes.join('\n')).toContain(`${nic.iface} (${nic.mac}): `);
      }
      const dir = join(root, 'etc/NetworkManager/system-connections');
      const names = await readdir(dir);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const result = spawnSync('nmcli', ['--offline', 'connection', 'modify', 'connection.autoconnect', 'yes'], { input: await readFile(join(dir, name), 'utf8'), encoding: 'utf8' });
        expect(result.status, `${name}: ${result.stderr}`).toBe(0);
      }
    },
  );
});
