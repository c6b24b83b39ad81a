/**
 * Issue 13: a real Debian guest (QEMU under TCG, systemd, udev, cloud-init 22.4) in the
 * namespace lab, on both image flavours at once (ifupdown with a vfat config drive,
 * netplan + networkd with an iso9660 one). One VM per flavour carries the scenarios in
 * sequence, 1 → 9 → 4, each a test; the two VMs run side by side. Scenarios 5, 6, 7 and
 * 8 are written but not yet reliable on both flavours (test/vm/PENDING.md has them and why);
 * 2 (no config drive) and 3 (referenced from user_data) are not here yet.
 *
 * Run alone: `CI=true npx vitest run test/vm` (about 20 minutes, the image build included;
 * MULTINIC_VM_KEEP=1 keeps each guest's work folder with its serial console).
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { neighbourAnswers } from './answers.js';
import type { DriveFormat } from './config-drive.js';
import { ATTACH_PORT, addressesOf, createGuestLab, type GuestLab } from './guest-lab.js';
import { cachedTrees, type Flavour } from './image.js';
import { multinicRuns, unitProperties } from './inspect.js';
import { PingStream } from './ping-stream.js';
import { run, waitFor } from './run.js';
import { singleExecutable, vmAvailability } from './support.js';

const availability = await vmAvailability();

interface Guest {
  flavour: Flavour;
  drive: DriveFormat;
  g: GuestLab;
  /** What this guest measured, for bench/vm-results.json. */
  measured: Record<string, number | string>;
}

const SETUPS: [Flavour, DriveFormat][] = [
  ['ifupdown', 'vfat'],
  ['netplan', 'iso9660'],
];

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Ping streams from the client to these addresses, for the length of `during`. */
async function streamsDuring(g: GuestLab, addresses: string[], during: () => Promise<void>): Promise<Record<string, number[]>> {
  const streams = addresses.map((address) => new PingStream(g.lab.names.client, address));
  const lost: Record<string, number[]> = {};
  try {
    await during();
    // Requests still in flight when the streams stop are not counted: let them land.
    await new Promise((done) => setTimeout(done, 4_000));
  } finally {
    for (const stream of streams) {
      const result = await stream.stop();
      if (result.lost.length > 0) lost[stream.address] = result.lost;
    }
  }
  return lost;
}

async function tableOf(g: GuestLab, mac: string): Promise<number | undefined> {
  const status = JSON.parse(await g.vm.agent.must('multinic status --json')) as { nics: { mac: string; table: number; attached: boolean }[] };
  return status.nics.find((nic) => nic.mac === mac && nic.attached)?.table;
}

describe.skipIf(!availability.ok)(`a real Debian guest under QEMU, both flavours (${availability.reason})`, () => {
  const guests: Guest[] = [];

  /** Run one scenario on both guests at once; a failure names its flavour and shows multinic's journal. */
  const onBoth = async (scenario: (guest: Guest) => Promise<void>) => {
    const results = await Promise.allSettled(guests.map(scenario));
    const failures: string[] = [];
    for (const [index, result] of results.entries()) {
      if (result.status === 'fulfilled') continue;
      const guest = guests[index] as Guest;
      const journal = await guest.g.vm.agent.sh("journalctl -b -o short-monotonic --no-pager | grep -E 'multinic|cloud-init\\[|networkd\\[|ifup' | tail -n 60", 60_000).catch((error: unknown) => ({ stdout: String(error) }));
      const reason = result.reason as Error;
      failures.push(`${guest.flavour}: ${reason.stack ?? String(reason)}\n--- ${guest.flavour} guest journal (tail) ---\n${journal.stdout}`);
    }
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
  };

  beforeAll(async () => {
    const started = Date.now();
    const [binary] = await Promise.all([singleExecutable(), cachedTrees(log)]);
    log(`vm suite: image and single executable ready after ${Math.round((Date.now() - started) / 1000)} s`);
    for (const [flavour, drive] of SETUPS) {
      guests.push({ flavour, drive, g: await createGuestLab({ flavour, binary, configDrive: drive }), measured: {} });
    }
    await Promise.all(
      guests.map(async (guest) => {
        await guest.g.boot();
        guest.measured.bootState = await guest.g.vm.booted();
      }),
    );
    log(`vm suite: both guests booted after ${Math.round((Date.now() - started) / 1000)} s`);
  }, 1_500_000);

  afterAll(async () => {
    if (process.env.MULTINIC_VM_RESULTS && guests.length > 0) {
      const results = Object.fromEntries(guests.map((guest) => [guest.flavour, guest.measured]));
      const commit = (await run('git', ['-C', import.meta.dirname, 'describe', '--always', '--dirty'])).stdout.trim();
      await writeFile(process.env.MULTINIC_VM_RESULTS, `${JSON.stringify({ measuredAt: new Date().toISOString(), accel: 'tcg', commit, results }, null, 2)}\n`);
    }
    for (const guest of guests) await guest.g.destroy();
  }, 120_000);

  it('1 baked image + config drive, first boot: multinic.service succeeded before network-online.target, and every address answers the client and an on-link neighbour', async () => {
    await onBoth(async ({ g, measured }) => {
      const service = await unitProperties(g.vm.agent, 'multinic.service', ['Result', 'ActiveState', 'ActiveEnterTimestampMonotonic', 'ExecMainStartTimestampMonotonic', 'ExecMainExitTimestampMonotonic', 'CPUUsageNSec']);
      const online = await unitProperties(g.vm.agent, 'network-online.target', ['ActiveEnterTimestampMonotonic']);
      expect(service.Result).toBe('success');
      expect(service.ActiveState).toBe('active');
      expect(Number(service.ActiveEnterTimestampMonotonic)).toBeGreaterThan(0);
      expect(Number(service.ActiveEnterTimestampMonotonic)).toBeLessThanOrEqual(Number(online.ActiveEnterTimestampMonotonic));
      expect(await g.vm.agent.must('journalctl -b -o cat -u multinic.service')).toMatch(/network_data\.json from config drive \/dev\/vdb/);
      measured.firstBootServiceSeconds = (Number(service.ExecMainExitTimestampMonotonic) - Number(service.ExecMainStartTimestampMonotonic)) / 1e6;
      measured.firstBootServiceCpuSeconds = Number(service.CPUUsageNSec) / 1e9;
      measured.firstBootNetworkOnlineSeconds = Number(online.ActiveEnterTimestampMonotonic) / 1e6;
      measured.firstBootAllAnswerSeconds = (await g.allAnswer(180_000)) / 1000;
      measured.firstBootCriticalChain = await g.vm.agent.must('systemd-analyze critical-chain --no-pager network-online.target');
      measured.firstBootBlame = (await g.vm.agent.must('systemd-analyze blame --no-pager')).split('\n').slice(0, 12).join('\n');
      const silentToNeighbour = [];
      for (const address of addressesOf(g.ports)) if (!(await neighbourAnswers(g, address))) silentToNeighbour.push(address);
      expect(silentToNeighbour).toEqual([]);
    });
  }, 600_000);

  it('9 an operator shell: multinic --version, status and verify, typed by name, work and tell the truth', async () => {
    await onBoth(async ({ g }) => {
      const shell = (line: string) => g.vm.agent.sh(`bash -l -c '${line}'`);
      expect((await shell('command -v multinic')).stdout.trim()).toBe('/usr/local/sbin/multinic');
      const version = await shell('multinic --version');
      expect(version.code, version.stderr).toBe(0);
      expect(version.stdout).toBe(`multinic ${VERSION}\n`);
      const status = await shell('multinic status');
      expect(status.code, status.stderr).toBe(0);
      // One row per address (issue 15): interface, MAC, address, ..., and the state word last.
      const rows = status.stdout.split('\n');
      for (const p of g.ports) {
        for (const address of addressesOf([p])) {
          const row = rows.find((line) => line.startsWith(`${p.name} `) && line.includes(p.mac) && line.split(/ +/).includes(address));
          expect(row, `${p.name} ${address} in:\n${status.stdout}`).toBeDefined();
          expect(row).toMatch(/ ok$/);
        }
      }
      const verify = await shell('multinic verify');
      expect(verify.code, verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/^ok: \d+ check\(s\) hold/m);
      // The truth both ways: with one rule gone, verify says which and fails; apply puts it back.
      const second = g.ports[1]!;
      const address = addressesOf([second])[0] as string;
      const table = await tableOf(g, second.mac);
      await g.vm.agent.must(`ip rule del from ${address} table ${table!}`);
      const broken = await shell('multinic verify');
      expect(broken.code).not.toBe(0);
      expect(`${broken.stdout}${broken.stderr}`).toContain(`rule from ${address}`);
      const repaired = await shell('multinic apply --offline');
      expect(repaired.code, repaired.stderr).toBe(0);
      expect((await shell('multinic verify')).code).toBe(0);
    });
  }, 600_000);

  it('4 attach: a fourth port answers within 60 s of device_add, and ping streams to the other ports lose nothing', async () => {
    await onBoth(async ({ g, measured }) => {
      const others = addressesOf(g.ports);
      let answeredAfter = 0;
      const lost = await streamsDuring(g, others, async () => {
        await new Promise((done) => setTimeout(done, 2_000));
        const plugged = Date.now();
        await g.attach(ATTACH_PORT);
        await waitFor(`${ATTACH_PORT.name} to answer`, 60_000, async () => ((await g.silent(addressesOf([ATTACH_PORT]))).length === 0 ? true : undefined), 1000);
        answeredAfter = (Date.now() - plugged) / 1000;
      });
      measured.attachAnswerSeconds = answeredAfter;
      expect(lost).toEqual({});
      // The hotplug run, read from the journal (finished multinic@ units leave systemctl).
      const runs = await waitFor('the hotplug run to finish', 180_000, async () => {
        const all = await multinicRuns(g.vm.agent);
        return all.some((run) => run.unit === `multinic@${ATTACH_PORT.name}.service`) ? all : undefined;
      });
      const hotplug = runs.filter((run) => run.unit === `multinic@${ATTACH_PORT.name}.service`);
      expect(hotplug.every((run) => run.ok)).toBe(true);
      measured.hotplugRunSeconds = hotplug[0]?.seconds ?? 0;
      measured.hotplugRunCpuSeconds = hotplug[0]?.cpuSeconds ?? 0;
      expect(await neighbourAnswers(g, addressesOf([ATTACH_PORT])[0] as string)).toBe(true);
    });
  }, 600_000);
});
