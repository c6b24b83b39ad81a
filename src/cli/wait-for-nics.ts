/**
 * After interface-attach the metadata and the guest catch up at different times: re-read
 * both until nothing is pending or the wait is over, saying what it waits for.
 */
import { describePending, nothingPending, pendingNics } from '../links/pending.js';
import type { Reporter } from './output.js';
import type { Prepared } from './pipeline.js';

/** How often a wait that goes on says so again. */
export const REPEAT_MS = 10_000;

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
  let saidAt = 0;
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
    // Said again every REPEAT_MS even when nothing changed: a long wait in the journal must
    // not look like a hang.
    if (said !== lastSaid || now() - saidAt >= REPEAT_MS) {
      reporter.say(`${said === lastSaid ? 'still ' : ''}waiting up to ${Math.ceil(remaining / 1000)} s for: ${said}`);
      lastSaid = said;
      saidAt = now();
    }
    await sleep(Math.min(1000, remaining));
    prepared = await reread();
  }
}
