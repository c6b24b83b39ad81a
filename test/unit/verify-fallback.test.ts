/**
 * What verification does when it cannot simply compare against the last apply: a route
 * question the kernel cannot answer, an `ip` that prints nonsense, and `multinic verify`
 * with no record of the last apply (it checks the kernel's own tagged routing, NICs taken
 * from state.json or rebuilt from the tagged rules).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyCommand } from '../../src/cli/commands/verify.js';
import { Reporter } from '../../src/cli/output.js';
import { KernelCommandFailed, VerificationFailed } from '../../src/errors.js';
import type { RunResult } from '../../src/kernel/run.js';
import { checkRoutes } from '../../src/kernel/verify.js';
import { ens5Desired, ens5Planned } from './builders.js';

const nic = ens5Planned;
const desired = ens5Desired;

/** `ip -force -batch` of route gets: `unroutable` destinations fail their line as the kernel does. */
function routeGets(unroutable: string[], answerDev = 'ens5') {
  return async (_command: string, _args: string[], options?: { input?: string }): Promise<RunResult> => {
    const lines = (options?.input ?? '').split('\n').filter(Boolean);
    const failed = lines
      .map((line, index) => [line.split(' ')[2] ?? '', index + 1] as const)
      .filter(([dst]) => unroutable.includes(dst));
    return {
      stdout: lines
        .filter((line) => !unroutable.includes(line.split(' ')[2] ?? ''))
        .map(
          (line) =>
            `${JSON.stringify([{ dst: line.split(' ')[2], from: line.split(' ')[4], gateway: line.includes('198.51.100') ? '192.0.2.1' : undefined, dev: answerDev, table: '10003' }])}\n`,
        )
        .join(''),
      stderr: failed.map(([, n]) => `RTNETLINK answers: Network is unreachable\nCommand failed -:${n}\n`).join(''),
      exitCode: failed.length > 0 ? 1 : 0,
    };
  };
}

describe('checkRoutes when the kernel cannot answer', () => {
  it('a question with no answer fails as "nowhere (no route)"; the others are still judged', async () => {
    const checks = await checkRoutes(routeGets(['198.51.100.254']), [nic], desired);
    expect(checks.map((check) => [check.destination, check.ok])).toEqual([
      ['198.51.100.254', false],
      ['192.0.2.1', true],
    ]);
    expect(checks[0]?.message).toBe(
      'ens5: replies from 192.0.2.30 to 198.51.100.254 leave nowhere (no route), expected ens5 via 192.0.2.1 (table 10003)',
    );
  });

  it('every question unanswered: every check fails, none passes unasked', async () => {
    const checks = await checkRoutes(routeGets(['198.51.100.254', '192.0.2.1']), [nic], desired);
    expect(checks.map((check) => check.ok)).toEqual([false, false]);
  });

  it('an ip that prints something other than JSON fails the check, naming the route questions', async () => {
    const garbled = async (): Promise<RunResult> => ({ stdout: 'Segmentation fault\n', stderr: '', exitCode: 139 });
    await expect(checkRoutes(garbled, [nic], desired)).rejects.toThrow(KernelCommandFailed);
    await expect(checkRoutes(garbled, [nic], desired)).rejects.toThrow(
      /route get\): printed something that is not JSON: Segmentation fault/,
    );
  });
});

describe('multinic verify without a record of the last apply', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A kernel holding `routes` and `rules` (tagged 147) on ens5, answering route gets through `answerDev`. */
  function kernel(routes: object[], rules: object[], answerDev = 'ens5') {
    const gets = routeGets([], answerDev);
    return async (command: string, args: string[], options?: { input?: string }): Promise<RunResult> => {
      const lines = (options?.input ?? '').split('\n').filter(Boolean);
      if (lines.some((line) => line.startsWith('route get'))) return await gets(command, args, options);
      if (args.includes('-6')) return { stdout: '[]\n', stderr: '', exitCode: 0 };
      const ens5 = [
        {
          ifindex: 5,
          ifname: 'ens5',
          flags: ['UP'],
          link_type: 'ether',
          address: 'fa:16:3e:00:00:05',
          addr_info: [{ family: 'inet', local: '192.0.2.30', prefixlen: 24 }],
        },
      ];
      const answers = lines.map((line) =>
        line === 'addr show' ? ens5 : line.startsWith('route show') ? routes : rules,
      );
      return { stdout: answers.map((answer) => `${JSON.stringify(answer)}\n`).join(''), stderr: '', exitCode: 0 };
    };
  }
  const tagged = {
    routes: [
      { dst: '192.0.2.0/24', dev: 'ens5', table: '10003', protocol: '147', scope: '253', prefsrc: '192.0.2.30' },
      { dst: 'default', gateway: '192.0.2.1', dev: 'ens5', table: '10003', protocol: '147' },
    ],
    rules: [{ priority: 10003, src: '192.0.2.30', srclen: 32, table: '10003', protocol: '147' }],
  };

  async function verify(run: ReturnType<typeof kernel>) {
    const dir = mkdtempSync(join(tmpdir(), 'multinic-verify-'));
    dirs.push(dir);
    let out = '';
    const reporter = new Reporter({ stdout: (text) => void (out += text), stderr: () => undefined }, false);
    const result = await verifyCommand({ 'state-dir': dir }, run, reporter).catch((error: unknown) => error);
    return { result, out };
  }

  it('checks the tagged routing the kernel holds, for the NIC its rules name', async () => {
    const { result, out } = await verify(kernel(tagged.routes, tagged.rules));
    expect(result).toBe(0);
    expect(out).toBe('ok: 2 check(s) hold\n'); // a far address and the gateway of ens5's table
  });

  it('fails when an address of a tagged table routes through another NIC', async () => {
    const { result } = await verify(kernel(tagged.routes, tagged.rules, 'ens3'));
    expect(result).toBeInstanceOf(VerificationFailed);
    expect((result as VerificationFailed).failures).toHaveLength(2);
    expect((result as VerificationFailed).failures[0]).toMatch(
      /^ens5: replies from 192\.0\.2\.30 to 198\.51\.100\.254 leave ens3/,
    );
  });
});
