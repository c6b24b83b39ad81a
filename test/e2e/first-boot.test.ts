/**
 * Issue 3, end to end on real kernels: a guest with three NICs behind Neutron-style port
 * security answers only on its primary address until `multinic apply` runs inside it
 * (fetching network_data.json from 169.254.169.254); then on all three.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREE_NIC_GUEST, THREE_NIC_NETWORK_DATA, THREE_NIC_NETWORKS } from '../../mocks/lab/guests.js';
import { createLab, type Lab } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();
const PRIMARY = '203.0.113.21';
const ALL = ['203.0.113.21', '203.0.113.22', '192.0.2.30'];

/** Every rule and every route of the guest, to compare before and after. */
async function routingDump(lab: Lab): Promise<string> {
  const parts = await Promise.all([
    lab.exec('guest', 'ip', ['-j', '-4', 'rule']),
    lab.exec('guest', 'ip', ['-j', '-6', 'rule']),
    lab.exec('guest', 'ip', ['-j', 'route', 'show', 'table', 'all']),
  ]);
  return parts.map((part) => part.stdout).join('\n');
}

describe.skipIf(!availability.ok)(`first boot in an emulated OpenStack guest (${availability.reason})`, () => {
  let lab: Lab;
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-e2e3-'));
    lab = await createLab({ networks: THREE_NIC_NETWORKS, nics: THREE_NIC_GUEST, networkData: THREE_NIC_NETWORK_DATA });
  });
  afterAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
    await lab?.destroy();
    await rm(work, { recursive: true, force: true });
  });

  it('before multinic, the client reaches only the primary address', async () => {
    const reach = await lab.reachability(ALL);
    expect([...reach].filter(([, ok]) => ok).map(([address]) => address)).toEqual([PRIMARY]);
  });

  it('plan prints the ip commands for all three NICs and changes nothing', async () => {
    const file = join(work, 'network_data.json');
    await writeFile(file, JSON.stringify(THREE_NIC_NETWORK_DATA));
    const before = await routingDump(lab);
    const result = await lab.multinic(['plan', '--network-data', file, '--state-dir', join(work, 'plan-state')]);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    // The last rule of each address (src/plan/local-paths.ts): everything else through its table.
    const rules = lines
      .filter((line) => line.startsWith('ip -4 rule add') && !line.includes(' to ') && !line.includes('lookup main'))
      .map((line) => line.split(' ')[5]);
    expect(rules.sort()).toEqual(['192.0.2.30/32', '203.0.113.21/32', '203.0.113.22/32']);
    for (const [dev, src] of [
      ['ens3', '203.0.113.21'],
      ['ens4', '203.0.113.22'],
      ['ens5', '192.0.2.30'],
    ] as const) {
      expect(lines.some((line) => line.startsWith('ip -4 route add') && line.includes(` dev ${dev} src ${src} `))).toBe(
        true,
      );
      expect(
        lines.some((line) => line.startsWith('ip -4 route add default via') && line.includes(` dev ${dev} `)),
      ).toBe(true);
    }
    // The upper-case MAC of the document matched ens4.
    expect(result.stderr).toContain('ens4 (fa:16:3e:a1:00:02)');
    expect(await routingDump(lab)).toBe(before);
  });

  it('a broken field exits 65, names its JSON path, and changes nothing', async () => {
    const broken = structuredClone(THREE_NIC_NETWORK_DATA) as { networks: { netmask: string }[] };
    (broken.networks[2] as { netmask: string }).netmask = '255.0.255.0';
    const file = join(work, 'broken.json');
    await writeFile(file, JSON.stringify(broken));
    const before = await routingDump(lab);
    const result = await lab.multinic([
      'apply',
      '--network-data',
      file,
      '--persist',
      'none',
      '--state-dir',
      join(work, 'broken-state'),
    ]);
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toContain('networks[2].netmask');
    expect(await routingDump(lab)).toBe(before);
  });

  it('after multinic apply (from the metadata service), the client gets answers from all three', async () => {
    const result = await lab.multinic(['apply', '--persist', 'none', '--state-dir', join(work, 'state')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('http://169.254.169.254');
    const reach = await lab.reachability(ALL);
    expect([...reach].filter(([, ok]) => ok).map(([address]) => address)).toEqual(ALL);
    expect(
      (await lab.metadata.requests()).some(
        (request) => request.path.endsWith('/network_data.json') && request.status === 200,
      ),
    ).toBe(true);
  });

  it('a rerun adds nothing', async () => {
    const before = await routingDump(lab);
    const result = await lab.multinic(['apply', '--persist', 'none', '--state-dir', join(work, 'state')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('no changes');
    expect(await routingDump(lab)).toBe(before);
    const reach = await lab.reachability(ALL);
    expect([...reach.values()].every(Boolean)).toBe(true);
  });
});
