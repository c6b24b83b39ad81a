import { readLive } from '../../kernel/read-live.js';
import type { Run } from '../../kernel/run.js';
import { DEFAULT_STATE_DIR } from '../../state/state-dir.js';
import { rebuildState } from '../../state/rebuild.js';
import { readState } from '../../state/store.js';
import { stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';

/** `multinic status`: the tables handed out, and what of them is live. Reads only. */
export async function statusCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const stateDir = stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR;
  const live = await readLive(run);
  const state = (await readState(stateDir, (message) => reporter.say(`warning: ${message}`))) ?? rebuildState(live.owned, live.interfaces);
  const rows = Object.entries(state.allocations)
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
        addresses: rules.map((rule) => rule.from.split('/')[0]),
        rules: rules.length,
        routes: routes.length,
      };
    });
  const human = rows.length === 0
    ? ['no tables handed out yet (run multinic apply)']
    : [
        'MAC                IFACE        TABLE  PRIO   RULES ROUTES ADDRESSES',
        ...rows.map((row) =>
          [
            row.mac.padEnd(18),
            (row.iface ?? '-').padEnd(12) + (row.attached ? '' : '(detached)'),
            String(row.table).padEnd(6),
            String(row.priority).padEnd(6),
            String(row.rules).padEnd(5),
            String(row.routes).padEnd(6),
            row.addresses.join(', ') || '-',
          ].join(' '),
        ),
      ];
  reporter.result(human, { stateDir, nics: rows });
  return 0;
}
