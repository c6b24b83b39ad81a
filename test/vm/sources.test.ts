/**
 * Issue 13, scenarios 2 and 3: where a real Debian guest (QEMU under TCG, systemd, udev,
 * cloud-init 22.4) gets multinic's document and multinic itself from, on both image
 * flavours (ifupdown with a vfat config drive, netplan + networkd with an iso9660 one).
 *
 *   2  no config drive: cloud-init's OpenStack data source (an ephemeral DHCP lease on the
 *      primary NIC from the router, then 169.254.169.254) and multinic from the metadata
 *      service; the same result as scenario 1 (test/vm/guests.test.ts).
 *   3  nothing enabled or nothing baked in: each cloud-config example that works without
 *      the internet, as user_data on the config drive: cloud-init/user-data-baked.yaml on an
 *      image with multinic installed but not enabled; cloud-init/user-data-download.yaml
 *      with build/multinic.cjs served from the router's namespace (its url and sha256 set
 *      as its comments tell an operator to); build/user-data-embedded.yaml.gz (npm run
 *      bundle) on an image with nodejs and no multinic.
 *
 * One boot per scenario (or example) per flavour: eight guests, two at a time (the tests run
 * concurrently, each guest waits for a slot).
 * Run alone: `CI=true npx vitest run test/vm/sources.test.ts` (MULTINIC_VM_KEEP=1 keeps
 * each guest's work folder with its serial console).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRepoRoot } from '../../mocks/lab/repo-root.js';
import { silentToNeighbour } from './answers.js';
import type { DriveFormat } from './config-drive.js';
import { createGuestLab, type GuestLab, type GuestLabOptions } from './guest-lab.js';
import { cachedTrees, type Flavour } from './image.js';
import { unitProperties } from './inspect.js';
import { run } from './run.js';
import { singleExecutable, vmAvailability } from './support.js';
import { serveFiles } from './serve-files.js';

const availability = await vmAvailability();
const repo = findRepoRoot();

const SETUPS: [Flavour, DriveFormat][] = [
  ['ifupdown', 'vfat'],
  ['netplan', 'iso9660'],
];

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Seconds from power-on until every address answered the client (and QEMU's CPU seconds by then), per scenario and flavour. */
const measured: Record<string, Record<string, { seconds: number; qemuCpuSeconds: number }>> = {};

/**
 * How many guests run at once (MULTINIC_VM_GUESTS, 2 by default: one emulated CPU each on
 * the test machines' two cores). The tests run concurrently and take a slot per guest, so
 * a core never idles while one flavour's boot waits for the other's.
 */
let freeSlots = Math.max(1, Number(process.env.MULTINIC_VM_GUESTS ?? 2));
const waiting: (() => void)[] = [];
async function inSlot<T>(body: () => Promise<T>): Promise<T> {
  if (freeSlots > 0) freeSlots--;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await body();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else freeSlots++;
  }
}

/**
 * Boot one guest (when a slot is free), run `check` on it, and always destroy it; a failure
 * names the flavour and carries the guest's multinic, cloud-init and network owner lines
 * from the journal.
 */
async function withGuest(
  options: GuestLabOptions,
  check: (g: GuestLab) => Promise<void>,
  before?: (g: GuestLab) => Promise<void>,
): Promise<void> {
  await inSlot(async () => {
    await bootAndCheck(options, check, before);
  });
}

async function bootAndCheck(
  options: GuestLabOptions,
  check: (g: GuestLab) => Promise<void>,
  before?: (g: GuestLab) => Promise<void>,
): Promise<void> {
  const g = await createGuestLab(options);
  try {
    await before?.(g);
    await g.boot();
    await g.vm.booted();
    await check(g);
  } catch (error) {
    const journal = await g.vm.agent
      .sh(
        "journalctl -b -o short-monotonic --no-pager | grep -E 'multinic|cloud-init\\[|dhclient|networkd\\[|ifup|runcmd' | tail -n 60; tail -n 30 /var/log/cloud-init-output.log",
        60_000,
      )
      .catch((e: unknown) => ({ stdout: String(e) }));
    throw new Error(
      `${options.flavour}: ${(error as Error).stack ?? String(error)}\n--- ${options.flavour} guest journal (tail) ---\n${journal.stdout}`,
      { cause: error },
    );
  } finally {
    await g.destroy();
  }
}

/** The same check on both flavours at once; every failure is reported, not only the first. */
async function onBoth(scenario: (flavour: Flavour, drive: DriveFormat) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(SETUPS.map(([flavour, drive]) => scenario(flavour, drive)));
  const failures = results.flatMap((result) =>
    result.status === 'rejected'
      ? [result.reason instanceof Error ? result.reason.message : String(result.reason)]
      : [],
  );
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}

/** Every address answers the client and the on-link neighbour; records when, after power-on. */
async function everyAddressAnswers(g: GuestLab, scenario: string, flavour: Flavour): Promise<void> {
  const seconds = (await g.allAnswer(300_000)) / 1000;
  // QEMU's own CPU time by then: what the boot costs whatever else shares the machine.
  const cpu = Number(
    (
      await run('sh', ['-c', `ps -o cputimes= -p "$(pgrep -f '^qemu-system-x86_64 .*${g.work}/serial')"`])
    ).stdout.trim(),
  );
  (measured[scenario] ??= {})[flavour] = { seconds, qemuCpuSeconds: cpu };
  log(
    `vm sources: ${scenario}, ${flavour}: every address answered the client ${seconds.toFixed(0)} s after power-on (QEMU CPU ${cpu} s)`,
  );
  expect(await silentToNeighbour(g)).toEqual([]);
}

/** multinic.service ran and succeeded (and, with `beforeOnline`, was done before network-online.target). */
async function serviceSucceeded(g: GuestLab, beforeOnline: boolean): Promise<void> {
  const service = await unitProperties(g.vm.agent, 'multinic.service', [
    'Result',
    'ActiveState',
    'ActiveEnterTimestampMonotonic',
  ]);
  expect(service.Result).toBe('success');
  expect(service.ActiveState).toBe('active');
  if (beforeOnline) {
    const online = await unitProperties(g.vm.agent, 'network-online.target', ['ActiveEnterTimestampMonotonic']);
    expect(Number(service.ActiveEnterTimestampMonotonic)).toBeGreaterThan(0);
    expect(Number(service.ActiveEnterTimestampMonotonic)).toBeLessThanOrEqual(
      Number(online.ActiveEnterTimestampMonotonic),
    );
  }
}

describe
  .skipIf(!availability.ok)
  .concurrent(
    `a real Debian guest's sources: metadata service only, and multinic from user_data (${availability.reason})`,
    () => {
      let binary = '';

      beforeAll(async () => {
        const started = Date.now();
        // singleExecutable runs `npm run bundle` (build/multinic.cjs, build/user-data-embedded.yaml.gz) when src/ changed.
        [binary] = await Promise.all([singleExecutable(), cachedTrees(log)]);
        log(
          `vm sources: image, bundle and single executable ready after ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }, 1_500_000);

      afterAll(() => {
        log(`vm sources: power-on to every address answering (wall and QEMU CPU seconds): ${JSON.stringify(measured)}`);
      });

      it("2 metadata service only (no config drive): cloud-init's OpenStack data source after a DHCP lease, multinic.service from 169.254.169.254 succeeded before network-online.target, and every address answers the client and an on-link neighbour", async () => {
        await onBoth(async (flavour) => {
          await withGuest({ flavour, binary, configDrive: false, dhcp: true }, async (g) => {
            await everyAddressAnswers(g, '2 metadata only', flavour);
            await serviceSucceeded(g, true);
            expect(await g.vm.agent.must('journalctl -b -o cat -u multinic.service')).toMatch(
              /network_data\.json from http:\/\/(169\.254\.169\.254|\[fe80::a9fe:a9fe)/,
            );
            // cloud-init found the metadata service, not the fallback (None) data source.
            expect(await g.vm.agent.must('cat /run/cloud-init/result.json')).toMatch(/DataSourceOpenStack/);
          });
        });
      }, 2_400_000);

      it('3 user-data-baked.yaml on an image with multinic installed but not enabled: every address answers', async () => {
        const userData = await readFile(join(repo, 'cloud-init', 'user-data-baked.yaml'), 'utf8');
        await onBoth(async (flavour, drive) => {
          await withGuest({ flavour, binary, enableMultinic: false, configDrive: drive, userData }, async (g) => {
            await everyAddressAnswers(g, '3 baked', flavour);
            await serviceSucceeded(g, false);
            expect((await g.vm.agent.must('systemctl is-enabled multinic.service')).trim()).toBe('enabled');
          });
        });
      }, 2_400_000);

      it("3 user-data-download.yaml, build/multinic.cjs served from the router's namespace, on an image without multinic: every address answers", async () => {
        const bundle = join(repo, 'build', 'multinic.cjs');
        const sha256 = createHash('sha256')
          .update(await readFile(bundle))
          .digest('hex');
        // What the example's comments ask of an operator: its URL and `sha256sum build/multinic.cjs`.
        const address = '203.0.113.1';
        const url = `http://${address}:8080/multinic.cjs`;
        const example = await readFile(join(repo, 'cloud-init', 'user-data-download.yaml'), 'utf8');
        const userData = example.replace(/^(\s*url=).*$/m, `$1${url}`).replace(/^(\s*sha256=).*$/m, `$1${sha256}`);
        expect(userData).toContain(`url=${url}\n`);
        expect(userData).toContain(`sha256=${sha256}\n`);
        await onBoth(async (flavour, drive) => {
          let requests: () => string[] = () => [];
          let stop: () => Promise<void> = async () => undefined;
          try {
            await withGuest(
              { flavour, configDrive: drive, userData },
              async (g) => {
                await everyAddressAnswers(g, '3 download', flavour);
                await serviceSucceeded(g, false);
                expect(requests()).toContain('multinic.cjs');
              },
              async (g) => {
                const server = await serveFiles(g.lab.names.router, address, 8080, { 'multinic.cjs': bundle });
                requests = () => server.requests;
                stop = () => server.stop();
              },
            );
          } finally {
            await stop();
          }
        });
      }, 2_400_000);

      it('3 build/user-data-embedded.yaml.gz (npm run bundle) on an image with nodejs and without multinic: every address answers', async () => {
        const userData = await readFile(join(repo, 'build', 'user-data-embedded.yaml.gz'));
        await onBoth(async (flavour, drive) => {
          await withGuest({ flavour, configDrive: drive, userData }, async (g) => {
            await everyAddressAnswers(g, '3 embedded', flavour);
            await serviceSucceeded(g, false);
          });
        });
      }, 2_400_000);
    },
  );
