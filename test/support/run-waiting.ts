/**
 * Resolves once a multinic run in the namespace waits for the guest's side: its netlink
 * watcher (`ip -o monitor link address`, src/links/watch.ts) is running there. A test that
 * plugs a NIC "during the wait" plugs it then, not after a guessed delay that a loaded
 * machine can outlast.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function runWaitingForGuest(namespace: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const { stdout } = await exec('ip', ['netns', 'pids', namespace]).catch(() => ({ stdout: '' }));
    const commands = await Promise.all(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')),
    );
    if (commands.some((command) => command.startsWith('ip\0-o\0monitor\0link\0address'))) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no multinic run started waiting in ${namespace} within ${timeoutMs} ms`);
}
