/**
 * After interface-attach the metadata and the guest catch up at different times: re-read
 * both until nothing is pending or the wait is over, saying what it waits for.
 */
import { describePending, nothingPending, pendingNics } from '../links/pending.js';
import type { Reporter } from './output.js';
import type { Prepared } from './pipeline.js';

export interface WaitOptions {
  waitMs: number;
  includeUnlisted: boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export async function waitForNics(first: Prepared, reread: () => Promise<Prepared>, reporter: Reporter, options: WaitOptions): Promise<Prepared> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const end = now() + options.waitMs;
  let prepared = first;
  let lastSaid = '';
  for (;;) {
    const known = new Set(Object.keys(prepared.plan.state.allocations));
    const pending = pendingNics(prepared.mapping, prepared.live.interfaces, known, options.includeUnlisted);
    if (nothingPending(pending)) return prepared;
    const remaining = end - now();
    const lines = describePending(pending);
    if (remaining <= 0) {
      for (const line of lines) reporter.say(`warning: ${line}; configuring the others`);
      return prepared;
    }
    const said = lines.join('; ');
    if (said !== lastSaid) {
      reporter.say(`waiting up to ${Math.ceil(remaining / 1000)} s for: ${said}`);
      lastSaid = said;
    }
    await sleep(Math.min(1000, remaining));
    prepared = await reread();
  }
}
