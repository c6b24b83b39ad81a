/**
 * Whether the end-to-end suites can run here: they need root, network namespaces, nft and
 * ping. Where they cannot, they skip and say why; in CI (CI set) they must run, so a
 * missing piece fails the run instead.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface Availability {
  ok: boolean;
  reason: string;
}

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function e2eAvailability(): Promise<Availability> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not root');
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['nft', ['--version']],
    ['ping', ['-V']],
  ] as const) {
    if (!works(tool, [...args]))
      missing.push(
        `no ${tool} (apt-get install ${tool === 'ip' ? 'iproute2' : tool === 'nft' ? 'nftables' : 'iputils-ping'})`,
      );
  }
  if (missing.length === 0) {
    const probe = `mnprobe${randomBytes(3).toString('hex')}`;
    if (works('ip', ['netns', 'add', probe])) works('ip', ['netns', 'del', probe]);
    else missing.push('cannot create network namespaces');
  }
  if (missing.length === 0) return { ok: true, reason: 'root, namespaces, nft and ping available' };
  const reason = `end-to-end suite skipped: ${missing.join(', ')}`;
  if (process.env.CI) throw new Error(`${reason} — in CI the end-to-end suite must run`);
  process.stderr.write(`${reason}\n`);
  return { ok: false, reason };
}
