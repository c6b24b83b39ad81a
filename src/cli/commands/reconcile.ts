import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MetadataUnavailable, ReconcileSkipped } from '../../errors.js';
import { writeFileIfChanged } from '../../io/write-file-atomic.js';
import type { Run } from '../../kernel/run.js';
import { DEFAULT_STATE_DIR } from '../../state/state-dir.js';
import { stringOption, type ParsedCommand } from '../args.js';
import type { Reporter } from '../output.js';
import { applyCommand } from './apply.js';

/** What a reconcile run asks of the metadata service unless told otherwise: the timer must not pile up. */
export const RECONCILE_DEADLINE_S = '20';
/** In the state dir while the source does not answer: the first failed run warns, the next ones stay quiet. */
export const UNANSWERED_FILE = 'reconcile-unanswered';

/**
 * `multinic reconcile`, what multinic.timer runs every few minutes: `apply` against the
 * metadata service (addresses added to a port at runtime, rules a network manager
 * removed), and quiet unless something changed:
 * - nothing to change: no line at all (the kernel sees nothing either, as with apply);
 * - something changed: apply's lines, as apply says them;
 * - no source answers: what is there stays; a warning the first time, then nothing until
 *   it answers again (src/cli/main.ts turns ReconcileSkipped into exit 0).
 */
export async function reconcileCommand(values: ParsedCommand['values'], run: Run, reporter: Reporter): Promise<number> {
  const stateDir = stringOption(values, 'state-dir') ?? DEFAULT_STATE_DIR;
  const marker = join(stateDir, UNANSWERED_FILE);
  const withDefaults: ParsedCommand['values'] = {
    // The metadata service reflects runtime changes to the port; a config drive never does.
    ...(values.source === undefined && values['network-data'] === undefined && values.offline === undefined
      ? { source: 'metadata' }
      : {}),
    deadline: RECONCILE_DEADLINE_S,
    ...values,
  };
  const held: string[] = [];
  let document = '';
  const inner = reporter.withIo({ stdout: (text) => (document += text), stderr: (text) => held.push(text) }, true);
  let code: number;
  try {
    code = await applyCommand(withDefaults, run, inner);
  } catch (error) {
    if (error instanceof MetadataUnavailable) {
      const already = await readFile(marker, 'utf8').then(
        () => true,
        () => false,
      );
      if (!already) await writeFileIfChanged(marker, `${new Date().toISOString()}\n`).catch(() => undefined);
      // Its retries are in `held`; only --verbose shows them.
      if (reporter.shows('debug')) for (const text of held) reporter.debug(text.replace(/\n$/, ''));
      throw new ReconcileSkipped(
        `no source of network_data.json answered (${error.message}); the routing in place is kept${already ? ' (still)' : ''}`,
        !already,
        { cause: error },
      );
    }
    for (const text of held) reporterWrite(reporter, text);
    throw error;
  }
  const result = JSON.parse(document) as {
    changed?: number;
    persisted?: { report?: { written?: string[]; removed?: string[] } };
    commands?: string[];
  };
  const changed =
    (result.changed ?? 0) +
    (result.persisted?.report?.written?.length ?? 0) +
    (result.persisted?.report?.removed?.length ?? 0);
  const recovered = await rm(marker).then(
    () => true,
    () => false,
  );
  if (recovered) reporter.say('the source of network_data.json answers again');
  // Apply's words, already formatted, when they are news (or asked for).
  if (changed > 0 || reporter.shows('debug')) for (const text of held) reporterWrite(reporter, text);
  reporter.result([], result);
  return code;
}

/** sd-daemon(3) prefixes: <3> error, <4> warning, <7> debug; any other is passed on as info. */
const JOURNAL_LEVELS: Record<string, 'error' | 'warning' | 'debug'> = { '3': 'error', '4': 'warning', '7': 'debug' };

/** Passes on a line the inner reporter formatted (prefix and all) at the level it carries. */
function reporterWrite(reporter: Reporter, text: string): void {
  for (const line of text.split('\n').filter(Boolean)) {
    const journal = /^<(\d)>(.*)$/.exec(line);
    // The inner reporter's elapsed time (--verbose) goes: the outer one adds its own.
    const body = (journal ? (journal[2] ?? '') : line.replace(/^multinic: /, '')).replace(/^\[\+\d+ ms\] /, '');
    const level = journal
      ? (JOURNAL_LEVELS[journal[1] ?? ''] ?? 'info')
      : body.startsWith('warning: ')
        ? 'warning'
        : 'info';
    reporter.log(level, body);
  }
}
