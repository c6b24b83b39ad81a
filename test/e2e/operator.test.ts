/**
 * Issue 15, end to end in the emulated guest: `status` (healthy, drift after a rule is
 * removed by hand, ok after the network manager restored the rules from the persisted
 * file), `explain` for a managed, an unmanaged, an excluded and a broken address, an
 * excluded interface left untouched by `apply`, and the journal priorities read back.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { THREE_NIC_GUEST, THREE_NIC_NETWORK_DATA, THREE_NIC_NETWORKS } from '../../mocks/lab/guests.js';
import { createLab, type Lab } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();

interface Row {
  iface: string;
  address: string;
  state: string;
  rule: boolean;
  problems: string[];
  persisted: { backend: string; file: string } | null;
  far?: { dev?: string; ok: boolean };
}

describe.skipIf(!availability.ok)(`the operator's commands (${availability.reason})`, () => {
  let lab: Lab;
  let work: string;
  let stateDir: string;
  let config: string;
  const multinic = (args: string[], env?: Record<string, string>) =>
    lab.multinic([...args, '--state-dir', stateDir, '--config', config], env ? { env } : undefined);
  const apply = (...extra: string[]) => multinic(['apply', '--source', 'metadata', '--persist', 'none', ...extra]);
  const statusJson = async (...extra: string[]) => {
    const result = await multinic(['status', '--json', ...extra]);
    return { code: result.exitCode, rows: (JSON.parse(result.stdout) as { addresses: Row[] }).addresses };
  };
  const guest = (args: string[]) => lab.exec('guest', 'ip', args);
  /** Deletes every IPv4 rule from ADDRESS, whatever its tier (plan/local-paths.ts), by priority. */
  const deleteRulesFrom = async (address: string) => {
    const lines = (await guest(['-4', 'rule', 'show', 'from', address])).stdout.trim().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const [, priority, selector] = /^(\d+):\s+(.*?)(?: proto \S+)?$/.exec(line) ?? [];
      expect((await guest(['rule', 'del', 'priority', priority!, ...selector!.split(' ')])).exitCode, line).toBe(0);
    }
  };

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'multinic-e2e15-'));
    stateDir = join(work, 'state');
    config = join(work, 'multinic.conf');
    await writeFile(config, '# test\n');
    lab = await createLab({ networks: THREE_NIC_NETWORKS, nics: THREE_NIC_GUEST, networkData: THREE_NIC_NETWORK_DATA });
  });
  afterEach(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
    await lab?.destroy();
    await rm(work, { recursive: true, force: true });
  });

  it('status: a table per address and exit 0 when healthy; drift and exit 1 when a rule was removed by hand', async () => {
    expect((await apply()).exitCode).toBe(0);
    const table = await multinic(['status']);
    expect(table.exitCode, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IFACE +MAC +ADDRESS +TABLE +RULE +ROUTES +VIA \(far \/ gw\) +PERSISTED +STATE$/);
    expect(
      lines
        .slice(1)
        .map((line) => line.split(/ +/)[2])
        .sort(),
    ).toEqual(['192.0.2.30', '203.0.113.21', '203.0.113.22']);
    expect(lines.slice(1).every((line) => / not persisted +ok$/.test(line))).toBe(true);
    expect(table.stderr).toContain('3 managed address(es): 3 ok, 0 drift, 0 missing');
    process.stderr.write(`operator: status on a healthy guest:\n${table.stdout}`);

    // Someone removes ens4's rules (all three tiers): its replies fall back to the main table (ens3).
    await deleteRulesFrom('203.0.113.22');
    const { code, rows } = await statusJson();
    expect(code).toBe(1);
    const ens4 = rows.find((row) => row.address === '203.0.113.22');
    expect(ens4).toMatchObject({ iface: 'ens4', state: 'drift', rule: false, far: { dev: 'ens3', ok: false } });
    expect(ens4?.problems.join('; ')).toContain(`rule from 203.0.113.22 lookup`);
    expect(
      rows
        .filter((row) => row.state === 'ok')
        .map((row) => row.iface)
        .sort(),
    ).toEqual(['ens3', 'ens5']);
    const human = await multinic(['status']);
    expect(human.stdout).toMatch(
      /^ens4 .* drift: rule from 203\.0\.113\.22 lookup \d+ is missing;.* replies to 198\.51\.100\.254 leave by ens3/m,
    );
  });

  it('status: ok and persisted when the network manager restored the rules and routes itself (its own protocol)', async () => {
    const root = join(work, 'root');
    expect((await multinic(['apply', '--source', 'metadata', '--persist', 'ifupdown', '--root', root])).exitCode).toBe(
      0,
    );
    // A reboot: multinic's objects are gone; the network manager puts the same ones back from
    // the persisted file, tagged as its own (proto static, no rule protocol), as networkd does.
    const owned = (await guest(['route', 'show', 'table', 'all', 'proto', '147'])).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
    // (`ip rule show protocol N` does not filter on iproute2 6.1: pick the tagged lines.)
    const rules = (await guest(['-4', 'rule', 'show'])).stdout
      .trim()
      .split('\n')
      .filter((line) => line.endsWith(' proto 147'));
    // Per address: a rule to each of the two managed subnets, the main-table rule, the from rule.
    expect([owned.length, rules.length]).toEqual([6, 12]);
    await guest(['route', 'flush', 'table', 'all', 'proto', '147']);
    for (const line of rules) {
      const [, priority, selector] = /^(\d+):\s+(.*) proto 147$/.exec(line) ?? [];
      await guest(['rule', 'del', 'priority', priority!, ...selector!.split(' ')]);
      expect((await guest(['rule', 'add', ...selector!.split(' '), 'priority', priority!])).exitCode, line).toBe(0);
    }
    for (const line of owned) {
      const args = line
        .replace(/ proto 147/, '')
        .split(' ')
        .filter(Boolean);
      expect((await guest(['route', 'add', ...args, 'proto', 'static'])).exitCode, line).toBe(0);
    }
    expect((await guest(['-4', 'rule', 'show'])).stdout).not.toContain('proto 147');
    const { code, rows } = await statusJson('--root', root);
    expect(code).toBe(0);
    expect(rows.map((row) => row.state)).toEqual(['ok', 'ok', 'ok']);
    expect(rows.find((row) => row.iface === 'ens4')?.persisted).toEqual({
      backend: 'ifupdown',
      file: '/etc/network/interfaces.d/multinic-ens4',
    });
    const table = await multinic(['status', '--root', root]);
    expect(table.stdout).toMatch(/^ens4 .* ifupdown \/etc\/network\/interfaces\.d\/multinic-ens4 +ok$/m);
    process.stderr.write(`operator: status after the network manager restored the rules:\n${table.stdout}`);
    // The file gone: the same kernel state is no longer kept across reboots.
    await rm(join(root, 'etc/network/interfaces.d/multinic-ens4'));
    expect((await statusJson('--root', root)).rows.find((row) => row.iface === 'ens4')?.persisted).toBeNull();
  });

  it('an excluded interface is left untouched by apply, and explain says why for a managed, an excluded, an unmanaged and a broken address', async () => {
    await writeFile(config, '# leave ens5 alone\nMULTINIC_EXCLUDE="ens5"\n');
    const sysctls = async () =>
      (
        await lab.exec('guest', 'sysctl', [
          '-n',
          'net.ipv4.conf.ens5.arp_ignore',
          'net.ipv4.conf.ens5.arp_announce',
          'net.ipv4.conf.ens5.rp_filter',
        ])
      ).stdout;
    const before = {
      sysctls: await sysctls(),
      routes: (await guest(['route', 'show', 'table', 'all', 'dev', 'ens5'])).stdout,
    };
    const applied = await apply();
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stderr).toContain(
      `ens5 (fa:16:3e:a1:00:03): excluded by ${config}:2 (MULTINIC_EXCLUDE pattern "ens5"), left alone`,
    );
    expect(await sysctls()).toBe(before.sysctls);
    expect((await guest(['route', 'show', 'table', 'all', 'dev', 'ens5'])).stdout).toBe(before.routes);
    expect((await guest(['-4', 'rule'])).stdout).not.toContain('192.0.2.30');
    expect((await guest(['-4', 'rule'])).stdout).toContain('from 203.0.113.22 lookup');

    const managed = await multinic(['explain', '203.0.113.22']);
    expect(managed.exitCode, managed.stdout).toBe(0);
    expect(managed.stdout).toMatch(/^203\.0\.113\.22 answers: replies leave by its own NIC ens4 through table \d+\./);
    expect(managed.stdout).toContain('multinic manages it: ens4 (fa:16:3e:a1:00:02) has table');
    expect(managed.stdout).toMatch(/Rule \d+: from 203\.0\.113\.22\/32 lookup \d+ \(made by multinic, protocol 147\)/);
    expect(managed.stdout).toContain('$ ip route get 198.51.100.254 from 203.0.113.22');
    expect(managed.stdout).toContain('ARP on ens4: arp_ignore=1, arp_announce=2, rp_filter=2');
    process.stderr.write(`operator: explain of a managed address:\n${managed.stdout}`);

    const excluded = await multinic(['explain', '192.0.2.30']);
    expect(excluded.exitCode).toBe(1); // left to the main table: its replies leave by ens3
    expect(excluded.stdout).toMatch(/leave by ens3 via 203\.0\.113\.1, table main: NOT its own NIC ens5/);
    expect(excluded.stdout).toContain(
      `multinic does not manage it: excluded by ${config}:2 (MULTINIC_EXCLUDE pattern "ens5")`,
    );

    await guest(['addr', 'add', '203.0.113.77/24', 'dev', 'ens4']);
    const unmanaged = await multinic(['explain', '203.0.113.77']);
    expect(unmanaged.exitCode).toBe(1);
    expect(unmanaged.stdout).toMatch(
      /^203\.0\.113\.77 does not answer from outside its subnet: replies leave by another NIC than ens4\./,
    );
    expect(unmanaged.stdout).toContain('network_data.json lists 203.0.113.77 on no network');
    expect(unmanaged.stdout).toContain('multinic does not manage it: not in the metadata.');
    expect(unmanaged.stdout).toContain('No rule selects 203.0.113.77 as a source');
    expect(unmanaged.stdout).toMatch(
      /Replies to a remote address \(198\.51\.100\.254\) leave by ens3 via 203\.0\.113\.1, table main: NOT its own NIC ens4/,
    );

    await deleteRulesFrom('203.0.113.22');
    const broken = await multinic(['explain', '203.0.113.22', '--json']);
    expect(broken.exitCode).toBe(1);
    const explanation = JSON.parse(broken.stdout) as {
      managed: boolean;
      answers: boolean;
      verdict: string;
      sentences: { text: string; command?: string }[];
    };
    expect([explanation.managed, explanation.answers]).toEqual([true, false]);
    expect(explanation.sentences.map((sentence) => sentence.text)).toContain(
      'No rule selects 203.0.113.22 as a source: replies follow the main table like any other traffic.',
    );

    const nowhere = await multinic(['explain', '198.51.100.77']);
    expect([nowhere.exitCode, nowhere.stdout.split('\n')[0]]).toEqual([
      1,
      '198.51.100.77 does not answer: it is on no interface of this guest.',
    ]);
  });

  it('under systemd (JOURNAL_STREAM) every line carries its priority; --quiet leaves warnings only; --verbose adds the commands', async () => {
    const doc = structuredClone(THREE_NIC_NETWORK_DATA) as { links: object[]; networks: object[] };
    doc.links.push({ id: 'tap-gone', type: 'ovs', ethernet_mac_address: 'fa:16:3e:a1:00:99' });
    doc.networks.push({
      id: 'n-gone',
      type: 'ipv4',
      link: 'tap-gone',
      ip_address: '203.0.113.99',
      netmask: '255.255.255.0',
    });
    await lab.metadata.setNetworkData(doc);
    const env = { JOURNAL_STREAM: '8:4242' };
    const normal = await apply('--wait', '0');
    expect(normal.exitCode, normal.stderr).toBe(0);
    const journal = await apply('--wait', '0');
    const first = journal.stderr.split('\n').filter(Boolean);
    expect(first.every((line) => line.startsWith('multinic: '))).toBe(true); // no JOURNAL_STREAM: plain
    const under = await multinic(['apply', '--source', 'metadata', '--persist', 'none', '--wait', '0'], env);
    const lines = under.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.every((line) => /^<[3467]>/.test(line))).toBe(true);
    expect(lines).toContain(
      '<4>warning: link tap-gone (fa:16:3e:a1:00:99): no interface with this MAC on the guest, left out',
    );
    expect(lines).toContain('<6>no changes');
    const quiet = await multinic(['apply', '--source', 'metadata', '--persist', 'none', '--wait', '0', '--quiet'], env);
    expect(quiet.stderr.split('\n').filter(Boolean)).toEqual([
      '<4>warning: link tap-gone (fa:16:3e:a1:00:99): in network_data.json, not on the guest yet; configuring the others',
      '<4>warning: link tap-gone (fa:16:3e:a1:00:99): no interface with this MAC on the guest, left out',
    ]);
    const verbose = await multinic(
      ['apply', '--source', 'metadata', '--persist', 'none', '--wait', '0', '--verbose'],
      env,
    );
    expect(verbose.stderr).toMatch(/^<7>\[\+\d+ ms\] ran ip -j -d -N -batch -: exit 0 in \d+ ms/m);
    expect(verbose.stderr).toMatch(/^<6>\[\+\d+ ms\] no changes$/m);
  });
});
