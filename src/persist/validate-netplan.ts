/**
 * Before writing for netplan: would the owner's netplan still load? netplan refuses the
 * whole configuration on one bad definition ("Updated definition 'bond0.602' changes
 * device type"), and then, at the next boot or `netplan apply`, configures no interface at
 * all. So the owner's files under --root and multinic's are copied into a scratch root and
 * `netplan generate --root-dir` judges them together (issue 14); a refusal is reported
 * instead of written. The owner's files alone are judged first: a configuration that does
 * not load without multinic is not multinic's to judge.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NETPLAN_DIRS } from './read-tree.js';
import type { RenderedFile } from './types.js';

export type NetplanVerdict =
  { verdict: 'accepted' } | { verdict: 'refused'; message: string } | { verdict: 'unchecked'; message: string };

function generate(root: string): Promise<{ ok: boolean; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile('netplan', ['generate', '--root-dir', root], { timeout: 30_000 }, (error, _stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      resolve({ ok: !error, stderr, missing: code === 'ENOENT' });
    });
  });
}

/** The lines of netplan's stderr that say what is wrong (not its permission warnings). */
function reason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.includes('Permissions for') && !line.startsWith('** ('));
  return lines.slice(0, 3).join(' | ') || 'no message';
}

export async function validateNetplan(root: string, files: RenderedFile[]): Promise<NetplanVerdict> {
  const scratch = await mkdtemp(join(tmpdir(), 'multinic-netplan-'));
  try {
    for (const dir of NETPLAN_DIRS) {
      const names = await readdir(join(root, dir)).catch(() => [] as string[]);
      for (const name of names.filter((file) => file.endsWith('.yaml'))) {
        await mkdir(join(scratch, dir), { recursive: true });
        await copyFile(join(root, dir, name), join(scratch, dir, name));
        await chmod(join(scratch, dir, name), 0o600);
      }
    }
    const alone = await generate(scratch);
    if (alone.missing)
      return { verdict: 'unchecked', message: 'netplan is not installed here: the netplan file was not checked' };
    if (!alone.ok)
      return {
        verdict: 'unchecked',
        message: `the owner's netplan configuration does not load even without multinic's file (${reason(alone.stderr)})`,
      };
    for (const file of files.filter((candidate) => candidate.path.endsWith('.yaml'))) {
      const target = join(scratch, file.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content, { mode: 0o600 });
    }
    const together = await generate(scratch);
    return together.ok ? { verdict: 'accepted' } : { verdict: 'refused', message: reason(together.stderr) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
