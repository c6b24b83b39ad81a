/**
 * After interface-attach the metadata and the guest catch up at different times: wait,
 * bounded, until nothing is pending, saying what it waits for. Each side is looked at again
 * only when it can have changed:
 * - the guest's side (a NIC or an address still to come) on a netlink event (links/watch.ts),
 *   with a re-read now and then in case an event came before the watcher listened;
 * - the metadata side (a NIC the document does not list yet), with a backoff, and only when
 *   the source can answer differently: never the cache (`--offline`) nor a config drive,
 *   which Nova writes once at boot. So a boot from the cache never waits for a NIC the
 *   cached document cannot list (issue 13: every later boot waited 30 s for it).
 */
import { watchLinks as watchIpMonitor, type LinkWatcher } from '../links/watch.js';
import { describePending, nothingPending, pendingNics } from '../links/pending.js';
import type { LoadedNetworkData } from '../metadata/source.js';
import type { Reporter } from './output.js';
import type { Prepared } from './pipeline.js';

/** How often a wait that goes on says so again. */
export const REPEAT_MS = 10_000;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((done) => setTimeout(done, ms)),
};

export interface WaitOptions {
  /**
   * The bound (--wait). Any wait covers both sides: NICs the document lists that the guest
   * lacks, and NICs on the guest it does not list yet. 0: no wait, and NICs the document does
   * not list are not even mentioned (a guest with container interfaces has many).
   */
  waitMs: number;
  /** Reads the document again, within `deadlineMs`; without it the metadata side is never re-read. */
  fetchDocument?: (deadlineMs: number) => Promise<LoadedNetworkData>;
  clock?: Clock;
  watchLinks?: () => LinkWatcher;
}

/** Seconds between looks at the metadata service, then every 8 s: Nova updates it within seconds. */
export const METADATA_BACKOFF_MS = [1000, 2000, 4000, 8000];
/** Re-reads of the kernel without an event, in case one came before the watcher listened. */
export const KERNEL_RECHECK_MS = [2000, 4000, 8000];
/** Events come in bursts (a link, then its addresses): one re-read after the burst. */
export const EVENT_SETTLE_MS = 100;

const step = (schedule: number[], index: number) => schedule[Math.min(index, schedule.length - 1)]!;

export async function waitForNics<P extends Prepared>(
  first: P,
  reread: (document: LoadedNetworkData) => Promise<P>,
  reporter: Reporter,
  options: WaitOptions,
): Promise<P> {
  const clock = options.clock ?? systemClock;
  const end = clock.now() + options.waitMs;
  let prepared = first;
  let lastSaid = '';
  let saidAt = 0;
  let watcher: LinkWatcher | undefined;
  let metadataLooks = 0;
  let kernelLooks = 0;
  let nextMetadataAt = clock.now() + step(METADATA_BACKOFF_MS, 0);
  let nextKernelAt = clock.now() + step(KERNEL_RECHECK_MS, 0);
  try {
    for (;;) {
      const metadataCanChange = prepared.source.mayChange && options.fetchDocument !== undefined;
      const known = new Set(Object.keys(prepared.plan.state.allocations));
      const pending = pendingNics(
        prepared.mapping,
        prepared.live.interfaces,
        known,
        options.waitMs > 0 && metadataCanChange,
      );
      if (nothingPending(pending)) return prepared;
      const lines = describePending(pending);
      const remaining = end - clock.now();
      if (remaining <= 0) {
        for (const line of lines) reporter.say(`warning: ${line}; configuring the others`);
        return prepared;
      }
      const said = lines.join('; ');
      // Said again every REPEAT_MS even when nothing changed: a long wait in the journal must
      // not look like a hang.
      if (said !== lastSaid || clock.now() - saidAt >= REPEAT_MS) {
        reporter.say(`${said === lastSaid ? 'still ' : ''}waiting up to ${Math.ceil(remaining / 1000)} s for: ${said}`);
        lastSaid = said;
        saidAt = clock.now();
      }
      // The guest's side can bring what the document lists (a NIC, an address); the
      // document can list a new NIC, or stop listing a detached one.
      const guestCanHelp = pending.notOnGuest.length > 0 || pending.addressesNotUp.length > 0;
      const untilMetadata = metadataCanChange ? Math.max(0, nextMetadataAt - clock.now()) : Infinity;
      const untilKernel = guestCanHelp ? Math.max(0, nextKernelAt - clock.now()) : Infinity;
      // Woken to say it again too, without reading anything.
      const untilRepeat = Math.max(0, saidAt + REPEAT_MS - clock.now());
      const ms = Math.min(remaining, untilMetadata, untilKernel, untilRepeat);
      let event = false;
      if (guestCanHelp) {
        watcher ??= (options.watchLinks ?? watchIpMonitor)();
        event = (await watcher.next(ms)) === 'event';
        if (event) {
          await clock.sleep(EVENT_SETTLE_MS);
          await watcher.next(0); // the rest of the burst, consumed
        }
      } else {
        await clock.sleep(ms);
      }
      const now = clock.now();
      const lookAtMetadata = metadataCanChange && now >= nextMetadataAt;
      const lookAtKernel = event || (guestCanHelp && now >= nextKernelAt);
      if (lookAtMetadata) nextMetadataAt = now + step(METADATA_BACKOFF_MS, ++metadataLooks);
      if (lookAtKernel) nextKernelAt = now + step(KERNEL_RECHECK_MS, ++kernelLooks);
      if (lookAtMetadata && options.fetchDocument) {
        const fetched = await options.fetchDocument(Math.max(1000, end - now)).then(
          (document) => document,
          (error: unknown) => {
            reporter.say(
              `warning: reading network_data.json again failed (${(error as Error).message}); keeping the one read before`,
            );
            return undefined;
          },
        );
        // Nothing new in the document and nothing on the guest: no need to read the kernel.
        if (fetched && (fetched.text !== prepared.source.text || lookAtKernel)) prepared = await reread(fetched);
        else if (lookAtKernel) prepared = await reread(prepared.source);
      } else if (lookAtKernel) {
        prepared = await reread(prepared.source);
      }
    }
  } finally {
    watcher?.close();
  }
}
