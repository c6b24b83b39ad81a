/**
 * What the VM suite needs before any guest boots: root with network namespaces (the only
 * reasons to skip, and never in CI), the tools (missing ones fail, they do not skip), and
 * the single executable built from the working tree.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '../../mocks/lab/repo-root.js';
import { must, run } from './run.js';

const repo = findRepoRoot();
export const BINARY = join(repo, 'build', 'multinic');

export async function vmAvailability(): Promise<{ ok: boolean; reason: string }> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not root');
  else {
    const probe = `mnvmprobe${process.pid}`;
    if ((await run('ip', ['netns', 'add', probe])).code === 0) await run('ip', ['netns', 'del', probe]);
    else missing.push('cannot create network namespaces');
  }
  if (missing.length > 0) {
    const reason = `VM suite skipped: ${missing.join(', ')}`;
    if (process.env.CI) throw new Error(`${reason} — in CI the VM suite must run`);
    process.stderr.write(`${reason}\n`);
    return { ok: false, reason };
  }
  // Tools: their absence is a broken setup, not a reason to skip (.ci/run installs them).
  const tools: [string, string][] = [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['debootstrap', 'debootstrap'],
    ['mkfs.ext4', 'e2fsprogs'],
    ['mkfs.vfat', 'dosfstools'],
    ['mcopy', 'mtools'],
    ['genisoimage', 'genisoimage'],
    ['nft', 'nftables'],
    ['ping', 'iputils-ping'],
    ['systemctl', 'systemd'],
    ['dnsmasq', 'dnsmasq-base'],
  ];
  const absent = [];
  for (const [tool, pkg] of tools)
    if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) absent.push(`${tool} (apt-get install ${pkg})`);
  if (absent.length > 0) throw new Error(`VM suite: missing ${absent.join(', ')}`);
  return { ok: true, reason: 'root, namespaces, QEMU (TCG)' };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** build/multinic from the working tree: rebuilt when src/ changed since it was made. */
export async function singleExecutable(): Promise<string> {
  const fresh =
    existsSync(BINARY) &&
    statSync(BINARY).mtimeMs > Math.max(newestMtime(join(repo, 'src')), statSync(join(repo, 'package.json')).mtimeMs);
  if (!fresh) {
    await must('npm', ['run', '--silent', 'bundle'], { cwd: repo, timeoutMs: 300_000 });
    await must('npm', ['run', '--silent', 'sea'], { cwd: repo, timeoutMs: 300_000 });
  }
  return BINARY;
}
