/**
 * A run that a NIC outran goes round again. udev starts `multinic@IFACE.service` with
 * `systemctl --no-block start`, and systemd merges a start into a unit that is still
 * running: a port detached and attached again within one hotplug run (or a second port
 * plugged while a run for the same name works) starts nothing, and the run had read the
 * kernel before the NIC came back. Nobody would configure it until the next boot or
 * reconcile. Found by the VM suite (issue 13, scenario 5: the re-attached port stayed
 * silent). So a run that waits for NICs (the boot and hotplug units) compares the NICs
 * the kernel has before and after it, and converges again while they differ (bounded:
 * a NIC that flaps forever is the next run's).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** At most this many runs in a row: the first and two more. */
export const MAX_ROUNDS = 3;

/** "name ifindex" of every interface but lo, sorted: an interface that came back has a new ifindex. */
export async function snapshotNics(sysClassNet = '/sys/class/net'): Promise<string[]> {
  const names = (await readdir(sysClassNet).catch(() => [] as string[])).filter((name) => name !== 'lo');
  const entries = await Promise.all(
    names.map(async (name) => {
      const index = (await readFile(join(sysClassNet, name, 'ifindex'), 'utf8').catch(() => '')).trim();
      return index === '' ? undefined : `${name} ${index}`;
    }),
  );
  return entries.filter((entry): entry is string => entry !== undefined).sort();
}

/** What differs between two snapshots, for the log: "ens6 came back, ens7 came, ens8 went". */
export function describeNicChange(before: string[], after: string[]): string {
  const name = (entry: string) => entry.split(' ')[0]!;
  const came = after.filter((entry) => !before.includes(entry)).map(name);
  const went = before.filter((entry) => !after.includes(entry)).map(name);
  return [
    ...came.map((nic) => (went.includes(nic) ? `${nic} came back` : `${nic} came`)),
    ...went.filter((nic) => !came.includes(nic)).map((nic) => `${nic} went`),
  ].join(', ');
}

/**
 * Runs `once` (one whole apply, lock to release); while it succeeded and the NICs changed
 * meanwhile, runs it again. A failed run is not repeated: its exit code stands.
 */
export async function untilNicsHoldStill(
  once: () => Promise<number>,
  say: (message: string) => void,
  snapshot: () => Promise<string[]> = snapshotNics,
): Promise<number> {
  for (let round = 1; ; round++) {
    const before = await snapshot();
    const code = await once();
    if (code !== 0) return code;
    const after = await snapshot();
    const change = describeNicChange(before, after);
    if (change === '') return code;
    if (round >= MAX_ROUNDS) {
      say(`warning: NICs changed during the run (${change}) ${round} times in a row: leaving them to the next run`);
      return code;
    }
    say(`NICs changed during the run (${change}): converging again`);
  }
}
