/**
 * Issue 5, end to end: every run converges on exactly the desired state and touches
 * nothing else — reruns, hand-made rules, detach, attach, re-attach, concurrent runs and
 * a kernel refusal in the middle of a batch.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { THREE_NIC_GUEST, THREE_NIC_NETWORKS } from '../../mocks/lab/guests.js';
import { createLab, type Lab } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';
import { doc, ENS3, ENS4, ENS5, ENS6, N3, N4, N5, N6 } from '../support/three-nic-docs.js';
import { runWaitingForGuest } from '../support/run-waiting.js';

const availability = await e2eAvailability();

interface StatusNic {
  mac: string;
  iface: string | null;
  table: number;
  attached: boolean;
  rules: number;
  routes: number;
}

describe.skipIf(!availability.ok)(`converging on every run (${availability.reason})`, () => {
  let lab: Lab;
  let stateDir: string;
  const apply = (...extra: string[]) =>
    lab.multinic(['apply', '--source', 'metadata', '--persist', 'none', '--state-dir', stateDir, ...extra]);
  const status = async () =>
    (JSON.parse((await lab.multinic(['status', '--json', '--state-dir', stateDir])).stdout) as { nics: StatusNic[] })
      .nics;
  const tableOf = async (mac: string) => (await status()).find((nic) => nic.mac === mac)?.table;
  /** Every rule and route of the guest, all tables, both families. */
  const dump = async () =>
    (
      await Promise.all([
        lab.exec('guest', 'ip', ['-4', 'rule']),
        lab.exec('guest', 'ip', ['-6', 'rule']),
        lab.exec('guest', 'ip', ['route', 'show', 'table', 'all']),
        lab.exec('guest', 'ip', ['-6', 'route', 'show', 'table', 'all']),
      ])
    )
      .map((result) => result.stdout)
      .join('\n');

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'multinic-e2e5-'));
    lab = await createLab({
      networks: THREE_NIC_NETWORKS,
      nics: THREE_NIC_GUEST,
      networkData: doc([ENS3, ENS4, ENS5], [N3, N4, N5]),
    });
  });
  afterEach(async () => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
    await lab?.destroy();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('a second apply makes no change the kernel would announce (ip monitor stays silent)', async () => {
    expect((await apply()).exitCode).toBe(0);
    const monitor = spawn('ip', ['-n', lab.names.guest, 'monitor', 'rule', 'route']);
    let events = '';
    monitor.stdout.on('data', (chunk: Buffer) => (events += chunk.toString()));
    await new Promise((done) => setTimeout(done, 300)); // let the monitor subscribe
    const second = await apply();
    await new Promise((done) => setTimeout(done, 300)); // let late events arrive
    monitor.kill();
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('no changes');
    expect(events).toBe('');
    // The monitor does see changes: a canary rule shows it was listening.
    const canary = spawn('ip', ['-n', lab.names.guest, 'monitor', 'rule']);
    let seen = '';
    canary.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await new Promise((done) => setTimeout(done, 300));
    await lab.exec('guest', 'ip', ['rule', 'add', 'from', '198.51.100.99', 'lookup', '10999', 'priority', '10999']);
    await new Promise((done) => setTimeout(done, 300));
    canary.kill();
    expect(seen).toContain('198.51.100.99');
  });

  it('rules and a table made by hand, in the same range and shape, survive every run', async () => {
    // Same priorities and tables as multinic's, same shape, for addresses that are not
    // the NICs' own (a rule for a NIC's own address would take its traffic, and verify
    // would rightly refuse that).
    const handMade = [
      ['rule', 'add', 'from', '203.0.113.98/32', 'lookup', '10050', 'priority', '10002'],
      ['rule', 'add', 'from', '203.0.113.99/32', 'lookup', '10001', 'priority', '10001'],
      ['route', 'add', '198.51.100.0/24', 'via', '203.0.113.1', 'dev', 'ens4', 'table', '10050'],
      ['route', 'add', '198.51.100.0/25', 'via', '203.0.113.1', 'dev', 'ens3', 'table', '10001'],
    ];
    for (const args of handMade) expect((await lab.exec('guest', 'ip', args)).exitCode).toBe(0);
    const handMadeNow = async () => {
      const rules = (await lab.exec('guest', 'ip', ['-4', 'rule'])).stdout;
      const t50 = (await lab.exec('guest', 'ip', ['route', 'show', 'table', '10050'])).stdout;
      const t1 = (await lab.exec('guest', 'ip', ['route', 'show', 'table', '10001'])).stdout;
      return [
        rules.includes('10002:\tfrom 203.0.113.98 lookup 10050'),
        rules.includes('10001:\tfrom 203.0.113.99 lookup 10001'),
        t50.includes('198.51.100.0/24 via 203.0.113.1 dev ens4'),
        t1.includes('198.51.100.0/25 via 203.0.113.1 dev ens3'),
      ];
    };
    expect(await handMadeNow()).toEqual([true, true, true, true]);
    expect((await apply()).exitCode).toBe(0);
    expect(await handMadeNow()).toEqual([true, true, true, true]);
    // Detach a NIC: the run that removes its objects still leaves the hand-made ones.
    await lab.metadata.setNetworkData(doc([ENS3, ENS5], [N3, N5]));
    expect((await apply()).exitCode).toBe(0);
    expect(await handMadeNow()).toEqual([true, true, true, true]);
    expect((await apply()).exitCode).toBe(0);
    expect(await handMadeNow()).toEqual([true, true, true, true]);
  });

  it('detach, attach and re-attach: gone objects go, the others keep their tables', async () => {
    expect((await apply()).exitCode).toBe(0);
    const before = new Map((await status()).map((nic) => [nic.mac, nic.table]));
    expect(before.size).toBe(3);

    // interface-detach of ens4: Nova updates the metadata, the NIC leaves the guest.
    await lab.metadata.setNetworkData(doc([ENS3, ENS5], [N3, N5]));
    await lab.removeNic('ens4');
    const detached = await apply();
    expect(detached.exitCode, detached.stderr).toBe(0);
    const ens4Table = before.get(ENS4.ethernet_mac_address)!;
    expect((await lab.exec('guest', 'ip', ['-4', 'rule'])).stdout).not.toContain(`lookup ${ens4Table}`);
    expect((await lab.exec('guest', 'ip', ['route', 'show', 'table', String(ens4Table)])).stdout.trim()).toBe('');
    expect(await lab.reachability(['203.0.113.21', '192.0.2.30'])).toEqual(
      new Map([
        ['203.0.113.21', true],
        ['192.0.2.30', true],
      ]),
    );
    expect(await tableOf(ENS3.ethernet_mac_address)).toBe(before.get(ENS3.ethernet_mac_address));
    expect(await tableOf(ENS5.ethernet_mac_address)).toBe(before.get(ENS5.ethernet_mac_address));

    // interface-attach of a new NIC.
    await lab.addNic({
      name: 'ens6',
      mac: ENS6.ethernet_mac_address,
      network: 'net-a',
      addresses: ['203.0.113.26/24'],
    });
    await lab.metadata.setNetworkData(doc([ENS3, ENS5, ENS6], [N3, N5, N6]));
    const attached = await apply();
    expect(attached.exitCode, attached.stderr).toBe(0);
    expect(await lab.answers('203.0.113.26')).toBe(true);
    const ens6Table = await tableOf(ENS6.ethernet_mac_address);
    expect(ens6Table).toBeDefined();
    expect([...before.values()]).not.toContain(ens6Table);
    expect(await tableOf(ENS3.ethernet_mac_address)).toBe(before.get(ENS3.ethernet_mac_address));
    expect(await tableOf(ENS5.ethernet_mac_address)).toBe(before.get(ENS5.ethernet_mac_address));

    // Re-attach of ens4's MAC: its old table comes back.
    await lab.addNic({
      name: 'ens4',
      mac: ENS4.ethernet_mac_address,
      network: 'net-a',
      addresses: ['203.0.113.22/24'],
    });
    await lab.metadata.setNetworkData(doc([ENS3, ENS4, ENS5, ENS6], [N3, N4, N5, N6]));
    const reattached = await apply();
    expect(reattached.exitCode, reattached.stderr).toBe(0);
    expect(await tableOf(ENS4.ethernet_mac_address)).toBe(ens4Table);
    expect([...(await lab.reachability()).values()].every(Boolean)).toBe(true);
  });

  it('waits for a NIC the metadata lists before the guest has it, and says so', async () => {
    await lab.metadata.setNetworkData(doc([ENS3, ENS4, ENS5, ENS6], [N3, N4, N5, N6]));
    const running = apply('--wait', '20');
    await runWaitingForGuest(lab.names.guest);
    await lab.addNic({
      name: 'ens6',
      mac: ENS6.ethernet_mac_address,
      network: 'net-a',
      addresses: ['203.0.113.26/24'],
    });
    const result = await running;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('waiting up to');
    expect(result.stderr).toContain('link tap6 (fa:16:3e:a1:00:04): in network_data.json, not on the guest yet');
    expect(await lab.answers('203.0.113.26')).toBe(true);
  });

  it('two runs started together both succeed and leave one correct state', async () => {
    const [first, second] = await Promise.all([apply(), apply()]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    // One of them waited for the other, then found nothing left to do.
    expect([first.stderr, second.stderr].filter((stderr) => stderr.includes('no changes'))).toHaveLength(1);
    const rules = (await lab.exec('guest', 'ip', ['-4', 'rule'])).stdout
      .split('\n')
      .filter((line) => line.includes('proto 147'));
    // Per address (src/plan/local-paths.ts): one rule per managed subnet (203.0.113.0/24 and
    // 192.0.2.0/24), the main table's specific routes, then its own table: 3 × 4.
    expect(rules).toHaveLength(12);
    expect([...(await lab.reachability()).values()].every(Boolean)).toBe(true);
    expect((await lab.multinic(['verify', '--state-dir', stateDir])).exitCode).toBe(0);
  });

  it('a command the kernel refuses mid-batch leaves the guest exactly as before, and the exit code says so', async () => {
    // ens5 had table 10003 and keeps it while detached. Then somebody else puts a route
    // there with the same key (destination, table) as the subnet route multinic adds, but no
    // multinic tag: when ens5 comes back, the kernel answers "File exists" to that line of the
    // batch, after the lines before it (ens3's and ens4's) went through.
    expect((await apply()).exitCode).toBe(0);
    await lab.metadata.setNetworkData(doc([ENS3, ENS4], [N3, N4]));
    expect((await apply()).exitCode).toBe(0);
    await lab.metadata.setNetworkData(doc([ENS3, ENS4, ENS5], [N3, N4, N5]));
    expect(
      (await lab.exec('guest', 'ip', ['route', 'add', '192.0.2.0/24', 'dev', 'ens5', 'table', '10003'])).exitCode,
    ).toBe(0);
    const before = await dump();
    const statusBefore = await status();
    const result = await apply();
    expect(result.exitCode, result.stderr).toBe(70);
    expect(result.stderr).toMatch(/route add 192\.0\.2\.0\/24 .*File exists|File exists/);
    expect(await dump()).toBe(before);
    // Nothing was recorded either: the state is what it was.
    expect(await status()).toEqual(statusBefore);
  });

  it("never hands out a table that holds someone else's route, and says which and why (issue 14)", async () => {
    expect(
      (await lab.exec('guest', 'ip', ['route', 'add', '203.0.113.10/32', 'dev', 'ens3', 'table', '10003'])).exitCode,
    ).toBe(0);
    const result = await apply();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'table 10003 skipped for ens5 (fa:16:3e:a1:00:03): it holds a route to 203.0.113.10/32 dev ens3, which multinic did not make',
    );
    expect(await tableOf('fa:16:3e:a1:00:03')).toBe(10004);
    expect((await lab.exec('guest', 'ip', ['route', 'show', 'table', '10003'])).stdout).toContain(
      '203.0.113.10 dev ens3',
    );
    expect([...(await lab.reachability()).values()]).toEqual([true, true, true]);
  });

  it('an upgrade removes the single rule per address of earlier releases, which would shadow the main-table rule (issue 14)', async () => {
    expect((await apply()).exitCode).toBe(0);
    const table = await tableOf('fa:16:3e:a1:00:02');
    const slot = String(table);
    // What releases before issue 14 left: from ADDR lookup T at the slot's first priority,
    // where tier 1 now sits (the kernel calls the old rule a duplicate of a tier-1 rule, so
    // those go first, as they were not there before the upgrade).
    while ((await lab.exec('guest', 'ip', ['-4', 'rule', 'del', 'priority', slot])).exitCode === 0);
    const added = await lab.exec('guest', 'ip', [
      '-4',
      'rule',
      'add',
      'from',
      '203.0.113.22',
      'lookup',
      slot,
      'priority',
      slot,
      'protocol',
      '147',
    ]);
    expect(added.exitCode, `${slot}: ${added.stderr}`).toBe(0);
    const result = await apply();
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await lab.exec('guest', 'ip', ['-4', 'rule'])).stdout).not.toContain(
      `${slot}:\tfrom 203.0.113.22 lookup ${slot} proto 147`,
    );
    expect([...(await lab.reachability()).values()].every(Boolean)).toBe(true);
  });

  it("objects tagged 147 outside multinic's tables and priorities are never changed (issue 14)", async () => {
    const strangers = [
      ['-4', 'route', 'add', '198.51.100.64/26', 'via', '203.0.113.1', 'dev', 'ens3', 'proto', '147'],
      ['-4', 'route', 'add', '198.51.100.64/26', 'via', '203.0.113.1', 'dev', 'ens3', 'table', '300', 'proto', '147'],
      ['-4', 'rule', 'add', 'from', '203.0.113.99', 'lookup', '300', 'priority', '500', 'protocol', '147'],
      ['-4', 'rule', 'add', 'from', '203.0.113.98', 'lookup', 'main', 'priority', '10005', 'protocol', '147'],
      ['-6', 'rule', 'add', 'from', '2001:db8::99', 'lookup', '10001', 'priority', '9000', 'protocol', '147'],
    ];
    for (const args of strangers) expect((await lab.exec('guest', 'ip', args)).exitCode, args.join(' ')).toBe(0);
    const present = async () => {
      const [main, t300, rules4, rules6] = await Promise.all([
        lab.exec('guest', 'ip', ['route', 'show', '198.51.100.64/26']),
        lab.exec('guest', 'ip', ['route', 'show', 'table', '300']),
        lab.exec('guest', 'ip', ['-4', 'rule']),
        lab.exec('guest', 'ip', ['-6', 'rule']),
      ]);
      return [
        main.stdout.includes('proto 147'),
        t300.stdout.includes('proto 147'),
        rules4.stdout.includes('500:\tfrom 203.0.113.99 lookup 300 proto 147'),
        rules4.stdout.includes('10005:\tfrom 203.0.113.98 lookup main proto 147'),
        rules6.stdout.includes('9000:\tfrom 2001:db8::99 lookup 10001 proto 147'),
      ];
    };
    expect(await present()).toEqual([true, true, true, true, true]);
    expect((await apply()).exitCode).toBe(0);
    await lab.metadata.setNetworkData(doc([ENS3], [N3]));
    expect((await apply()).exitCode).toBe(0);
    expect(await present()).toEqual([true, true, true, true, true]);
  });
});
