/**
 * Whether this module is the program being run (not imported by a test or another module).
 *
 * The bundle (build/multinic.cjs) and the single executable answer this themselves: the
 * bundle's first line sets `__multinicIsEntry` from `require.main === module`, which holds
 * in both. It cannot be decided from process.argv[1] there: a single executable typed by
 * name from PATH (`multinic status`) gets argv[1] = "multinic" exactly as typed, relative to
 * nothing, and realpath of that threw ENOENT before main ran (issue 13).
 *
 * The ESM build under dist/ (the npm bin) has no require.main: there Node has made argv[1]
 * absolute, and it is the entry point when argv[1] and this module are the same file once
 * symlinks (npm's node_modules/.bin, /usr/local/bin links) are resolved. A path that does
 * not resolve means "not us", never a crash.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function isEntryPoint(
  moduleUrl: string,
  argv1: string | undefined = process.argv[1],
  flag: unknown = (globalThis as { __multinicIsEntry?: unknown }).__multinicIsEntry,
): boolean {
  if (typeof flag === 'boolean') return flag;
  if (!argv1) return false;
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  };
  const invoked = real(argv1);
  return invoked !== undefined && invoked === real(fileURLToPath(moduleUrl));
}
