/**
 * Which program `multinic install` copies into the tree: the file given with --bundle or
 * --binary, else the program that is running, if it is one that can run alone (the
 * single executable, or the bundle). The CLI under dist/ needs node_modules, so it
 * cannot install itself.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import type { ProgramKind } from './render-install.js';

export interface Program {
  kind: ProgramKind;
  from: string;
  bytes: Uint8Array;
}

/** Set by the bundle's first line (scripts/build-bundle.mjs) to the bundle's own path. */
function runningBundle(): string | undefined {
  return (globalThis as { __multinicBundleFile?: string }).__multinicBundleFile;
}

/**
 * node:sea exists from Node 20.12; older nodes cannot run as a single executable anyway.
 * Required, not imported: a run started from a startup snapshot cannot import() (main.ts
 * asks this before it starts), and a static import would fail on Node 18.
 */
export function runningAsSingleExecutable(): boolean {
  try {
    const sea = createRequire(import.meta.url)('node:sea') as { isSea?: () => boolean };
    return sea.isSea?.() === true;
  } catch {
    return false;
  }
}

export async function readProgram(options: { bundle?: string; binary?: string }): Promise<Program> {
  if (options.bundle !== undefined && options.binary !== undefined)
    throw new UsageError('install: give --bundle FILE or --binary FILE, not both');
  const explicit =
    options.binary !== undefined
      ? { kind: 'binary' as const, from: options.binary }
      : options.bundle !== undefined
        ? { kind: 'bundle' as const, from: options.bundle }
        : undefined;
  const chosen =
    explicit ??
    (runningAsSingleExecutable()
      ? { kind: 'binary' as const, from: process.execPath }
      : runningBundle() !== undefined
        ? { kind: 'bundle' as const, from: runningBundle()! }
        : undefined);
  if (!chosen) {
    throw new UsageError(
      'install: this multinic needs node_modules and cannot install itself; give --bundle build/multinic.cjs (npm run bundle) or --binary build/multinic (npm run sea)',
    );
  }
  try {
    return { ...chosen, bytes: await readFile(chosen.from) };
  } catch (error) {
    throw new UsageError(`install: cannot read the ${chosen.kind} ${chosen.from}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
