/**
 * Before writing for NetworkManager: would NM still load each keyfile multinic renders
 * (its own, or an owner's with multinic's block)? `nmcli --offline connection modify`
 * (NM 1.42+) reads a keyfile on stdin, normalizes it as NM would load it, and prints it,
 * or fails with NM's reason. It fails only for what makes the whole connection invalid:
 * a routing rule or route it cannot parse is silently dropped, so the routes and rules of
 * each family section are also counted in what it prints, against the owner's file alone
 * plus multinic's additions (issue 14: validate with the owner's validator, and refuse
 * with a message naming the file instead of writing).
 */
import { spawn } from 'node:child_process';
import { countRouting, takeBackMultinic } from './nm-keyfile.js';
import type { RenderedFile } from './types.js';

export type NmVerdict =
  | { verdict: 'accepted' }
  | { verdict: 'refused'; file: string; message: string }
  | { verdict: 'unchecked'; message: string };

interface Normalized {
  ok: boolean;
  missing: boolean;
  stdout: string;
  stderr: string;
}

function normalize(keyfile: string): Promise<Normalized> {
  return new Promise((resolve) => {
    const child = spawn('nmcli', ['--offline', 'connection', 'modify'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ ok: false, missing: error.code === 'ENOENT', stdout, stderr: error.message });
    });
    child.on('close', (code) => {
      resolve({ ok: code === 0, missing: false, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // nmcli may exit before reading all of stdin
    child.stdin.end(keyfile);
  });
}

const firstLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join(' | ') || 'no message';

export async function validateNetworkManager(files: RenderedFile[]): Promise<NmVerdict> {
  const notes: string[] = [];
  for (const file of files.filter((candidate) =>
    candidate.path.startsWith('/etc/NetworkManager/system-connections/'),
  )) {
    const together = await normalize(file.content);
    if (together.missing)
      return {
        verdict: 'unchecked',
        message: 'nmcli is not installed here: the NetworkManager keyfiles were not checked',
      };
    // The owner's file as it was (without any block of multinic's): what NM would load without multinic.
    const ownerAlone = file.join ? takeBackMultinic(file.join.base) : '';
    const alone = file.join ? await normalize(ownerAlone) : undefined;
    if (alone && !alone.ok) {
      notes.push(
        `${file.path}: NetworkManager does not load it even without multinic's lines (${firstLines(alone.stderr)})`,
      );
      continue;
    }
    if (!together.ok) return { verdict: 'refused', file: file.path, message: firstLines(together.stderr) };
    const printed = countRouting(together.stdout);
    const expectedAlone = alone
      ? countRouting(alone.stdout)
      : { ipv4: { routes: 0, rules: 0 }, ipv6: { routes: 0, rules: 0 } };
    const ours = countRouting(file.content);
    const oursWithout = countRouting(ownerAlone);
    for (const section of ['ipv4', 'ipv6'] as const) {
      const routes = expectedAlone[section].routes + ours[section].routes - oursWithout[section].routes;
      const rules = expectedAlone[section].rules + ours[section].rules - oursWithout[section].rules;
      if (printed[section].routes !== routes || printed[section].rules !== rules) {
        return {
          verdict: 'refused',
          file: file.path,
          message: `NetworkManager would keep ${printed[section].routes} route(s) and ${printed[section].rules} routing rule(s) in [${section}], not the ${routes} and ${rules} written`,
        };
      }
    }
  }
  return notes.length > 0 ? { verdict: 'unchecked', message: notes.join('; ') } : { verdict: 'accepted' };
}
