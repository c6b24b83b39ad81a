import { readLive } from '../../kernel/read-live.js';
import { askRoutes } from '../../kernel/route-get.js';
import type { Run } from '../../kernel/run.js';
import type { PlannedNic, RoutingState } from '../../plan/types.js';
import { readApplied } from '../../state/applied.js';
import { DEFAULT_STATE_DIR } from '../../state/state-dir.js';
import { addressPart } from '../../model/addresses.js';
import { nicsFromState, rebuildState } from '../../state/rebuild.js';
import { readState } from '../../state/store.js';
import { judgeStatus, renderStatusTable, statusQueries, toRouteQueries } from '../../status/judge.js';
import { readPersistedLookup } from '../../status/persisted.js';
import { stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';

/** Exit status of `status` when some address is not ok (0: every address is ok). */
export const STATUS_NOT_OK = 1;

/**
 * `multinic status`: one line per address the last apply made answer, with what the kernel
 * holds for it now, how it routes replies, and who keeps it across reboots. Reads only.
 * Exit 0 only when every address is ok, so monitoring can run it.
 */
export async function statusCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const stateDir = stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR;
  const root = stringOption(values, 'root') ?? '/';
  const warn = (message: string) => {
    reporter.say(`warning: ${message}`);
  };
  const [stored, applied, persisted] = await Promise.all([
    readState(stateDir, warn),
    readApplied(stateDir, warn),
    readPersistedLookup(stateDir, root),
  ]);
  // Without a record of the last apply (missing or damaged), the tables' live tagged rules stand in;
  // without state.json, the tables are rebuilt from them too (state/rebuild.ts).
  const first = applied && stored ? undefined : await readLive(run);
  const state = stored ?? rebuildState(first?.owned ?? { routes: [], rules: [] }, first?.interfaces ?? []);
  const nics: PlannedNic[] = applied?.nics ?? nicsFromState(state, first?.owned ?? { routes: [], rules: [] });
  const desired: RoutingState = applied?.desired ?? first?.owned ?? { routes: [], rules: [] };
  // The kernel as it is now, then how it routes each managed address.
  const live = await readLive(run);
  const answers = await askRoutes(run, toRouteQueries(statusQueries(nics, desired)));
  const rows = judgeStatus({
    nics,
    desired,
    owned: live.owned,
    foreign: live.foreign,
    addresses: new Map(live.interfaces.map((iface) => [iface.name, iface.addresses.map((address) => address.address)])),
    answers,
    persisted,
  });
  // The tables handed out, as before (the converge tests and scripts read these).
  const tables = Object.entries(state.allocations)
    .sort(([, a], [, b]) => a.slot - b.slot)
    .map(([mac, allocation]) => {
      const rules = live.owned.rules.filter((rule) => rule.table === allocation.table);
      const routes = live.owned.routes.filter((route) => route.table === allocation.table);
      return {
        mac,
        iface: allocation.iface ?? null,
        table: allocation.table,
        priority: allocation.priority,
        attached: allocation.attached,
        addresses: rules.map((rule) => addressPart(rule.from)),
        rules: rules.length,
        routes: routes.length,
      };
    });
  const ok = applied !== undefined || rows.length > 0 ? rows.every((row) => row.state === 'ok') : false;
  const counts = (['ok', 'drift', 'missing'] as const)
    .map((word) => `${rows.filter((row) => row.state === word).length} ${word}`)
    .join(', ');
  if (!applied && rows.length === 0)
    reporter.say(`nothing managed yet: ${stateDir} has no record of an apply (run multinic apply)`);
  else reporter.say(`${rows.length} managed address(es): ${counts}`);
  reporter.result(rows.length === 0 ? [] : renderStatusTable(rows), { ok, stateDir, addresses: rows, nics: tables });
  return ok ? 0 : STATUS_NOT_OK;
}
