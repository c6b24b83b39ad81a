/**
 * The apply, verify and undo stages with a fake `ip`: verify reads the kernel itself after
 * apply (no answers carried from an earlier read), fails when the kernel lacks what was
 * applied or routes an address elsewhere; a refusal names the command and the kernel's
 * words; undo puts back exactly what multinic owned before.
 */
import { describe, expect, it } from 'vitest';
import { KernelCommandFailed, VerificationFailed } from '../../src/errors.js';
import { runBatches, undoRouting } from '../../src/kernel/apply.js';
import type { RunResult } from '../../src/kernel/run.js';
import { verifyApplied } from '../../src/kernel/verify-applied.js';
import type { Changes, RoutingState } from '../../src/plan/types.js';
import { ens5Desired, ens5Planned } from './builders.js';

const nic = ens5Planned;
const desired = ens5Desired;
const nothing: Changes = { add: { routes: [], rules: [] }, remove: { routes: [], rules: [] } };

/** `ip -j` output for the desired state, as the kernel prints it (tagged with proto 147). */
const kernelRoutes = [
  { dst: '192.0.2.0/24', dev: 'ens5', table: '10003', protocol: '147', scope: '253', prefsrc: '192.0.2.30' },
  { dst: 'default', gateway: '192.0.2.1', dev: 'ens5', table: '10003', protocol: '147' },
];
const kernelRules = [{ priority: 10003, src: '192.0.2.30', srclen: 32, table: '10003', protocol: '147' }];
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

/**
 * An `ip` holding `routes` and `rules`, answering route gets through `answerDev`'s table, line
 * by line as `ip -batch` does: a route get to an `unroutable` destination fails its line, which
 * stops the batch unless it runs with -force. Each call is logged with what its input held.
 */
function fakeIp(
  calls: string[],
  kernel: { routes: object[]; rules: object[]; answerDev?: string; refuse?: string; unroutable?: string[] },
) {
  return async (command: string, args: string[], options?: { input?: string }): Promise<RunResult> => {
    const lines = (options?.input ?? '').split('\n').filter((line) => line.length > 0);
    const held = [
      lines.some((line) => line === 'addr show') ? '<addresses>' : '',
      lines.some((line) => line === 'route show table all') ? '<read>' : '',
      lines.some((line) => line.startsWith('route get')) ? '<route get>' : '',
      lines.some((line) => / (add|del) /.test(` ${line} `)) ? '<changes>' : '',
    ].filter(Boolean);
    calls.push([command, ...args, ...held].join(' '));
    if (kernel.refuse && lines.some((line) => line.includes('add'))) {
      return {
        stdout: '',
        stderr: `Error: Nexthop has invalid gateway.\nCommand failed -:${lines.findIndex((line) => line.includes(kernel.refuse!)) + 1}\n`,
        exitCode: 1,
      };
    }
    if (args.includes('rule') && args.includes('show')) return { stdout: '[]\n', stderr: '', exitCode: 0 };
    const dev = kernel.answerDev ?? 'ens5';
    const answers: string[] = [];
    let failed = 0;
    for (const [index, line] of lines.entries()) {
      if (line === 'addr show') answers.push(JSON.stringify(ens5));
      if (line === 'route show table all') answers.push(JSON.stringify(kernel.routes));
      if (line === 'rule show') answers.push(JSON.stringify(kernel.rules));
      if (line.startsWith('route get')) {
        const dst = line.split(' ')[2];
        if (kernel.unroutable?.includes(dst ?? '')) {
          failed = index + 1;
          if (!args.includes('-force')) break;
          continue;
        }
        answers.push(
          JSON.stringify([
            { dst, from: '192.0.2.30', gateway: '192.0.2.1', dev, table: dev === 'ens5' ? '10003' : '254' },
          ]),
        );
      }
    }
    return {
      stdout: answers.map((answer) => `${answer}\n`).join(''),
      stderr: failed ? `RTNETLINK answers: Network is unreachable\nCommand failed -:${failed}\n` : '',
      exitCode: failed ? 1 : 0,
    };
  };
}

describe('verifyApplied', () => {
  it('reads the kernel itself and asks how each address routes, in one batch, and passes when it holds the plan', async () => {
    const calls: string[] = [];
    const checks = await verifyApplied(fakeIp(calls, { routes: kernelRoutes, rules: kernelRules }), [nic], desired);
    expect(checks.map((check) => [check.destination, check.ok])).toEqual([
      ['198.51.100.254', true], // a far address, through the default route
      ['192.0.2.1', true], // the gateway, on-link
    ]);
    // Its own read of the routing (addresses are not needed), with the questions after it in
    // the same batch, and the IPv6 rules beside it: two processes.
    expect(calls).toEqual(['ip -j -d -N -batch - <read> <route get>', 'ip -j -N -6 rule show']);
  });

  it('leaves the IPv6 rules unread when neither the plan nor the run before had any, and reads them when it had', async () => {
    const ipv4Only: string[] = [];
    await verifyApplied(fakeIp(ipv4Only, { routes: kernelRoutes, rules: kernelRules }), [nic], desired, {
      before: { routes: [], rules: [] },
    });
    expect(ipv4Only).toEqual(['ip -j -d -N -batch - <read> <route get>']);
    // An IPv6 rule multinic owned before the run: verify must see that it went.
    const hadIpv6: string[] = [];
    await verifyApplied(fakeIp(hadIpv6, { routes: kernelRoutes, rules: kernelRules }), [nic], desired, {
      before: { routes: [], rules: [{ family: 6, priority: 10003, from: '2001:db8::30/128', table: 10003 }] },
    });
    expect(hadIpv6).toContain('ip -j -N -6 rule show');
  });

  it('a question the kernel cannot answer stops that batch: it reads and asks apart, and judges that address alone', async () => {
    const calls: string[] = [];
    const error = await verifyApplied(
      fakeIp(calls, { routes: kernelRoutes, rules: kernelRules, unroutable: ['198.51.100.254'] }),
      [nic],
      desired,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VerificationFailed);
    expect((error as VerificationFailed).failures).toEqual([
      'ens5: replies from 192.0.2.30 to 198.51.100.254 leave nowhere (no route), expected ens5 via 192.0.2.1 (table 10003)',
    ]);
    // The read again on its own, then every question with -force, so the others still answer.
    expect(calls.slice(2)).toEqual([
      'ip -j -d -N -batch - <addresses> <read>',
      'ip -j -N -6 rule show',
      'ip -j -N -force -batch - <route get>',
    ]);
  });

  it('fails when the kernel does not hold what was applied, naming what is missing', async () => {
    const error = await verifyApplied(fakeIp([], { routes: kernelRoutes, rules: [] }), [nic], desired).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(VerificationFailed);
    expect((error as VerificationFailed).failures).toEqual(['rule from 192.0.2.30/32 lookup 10003 is missing']);
  });

  it('fails when an address routes through another NIC', async () => {
    await expect(
      verifyApplied(fakeIp([], { routes: kernelRoutes, rules: kernelRules, answerDev: 'ens3' }), [nic], desired),
    ).rejects.toThrow(VerificationFailed);
  });
});

describe('runBatches', () => {
  it('names the refused command and the kernel words, not "Command failed -:2" (issue 17)', async () => {
    const changes: Changes = { ...nothing, add: desired };
    const error = await runBatches(fakeIp([], { routes: [], rules: [], refuse: 'default' }), changes).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(KernelCommandFailed);
    expect((error as Error).message).toMatch(
      /^the kernel refused "ip route add default via 192\.0\.2\.1 dev ens5 table 10003 .*" \(line \d of ip -4 -batch -\): Error: Nexthop has invalid gateway\.$/,
    );
    expect((error as Error).message).not.toContain('Command failed');
  });
});

describe('undoRouting', () => {
  it('removes what the run added, then reads again to check: a kernel that kept them fails the undo, saying so', async () => {
    const calls: string[] = [];
    // This fake kernel never changes, so the deletions do not take.
    const error = await undoRouting(fakeIp(calls, { routes: kernelRoutes, rules: kernelRules }), {
      routes: [],
      rules: [],
    }).catch((caught: unknown) => caught);
    // The deletions go in one batch that does not stop at a failing line (-force) ...
    const undo = calls.findIndex((call) => call.includes('<changes>'));
    expect(calls[undo]).toMatch(/ -force -batch - <changes>$/);
    // ... and the kernel is read again after it, which tells what did not take.
    expect(calls.slice(undo + 1).some((call) => call.includes('<read>'))).toBe(true);
    expect((error as Error).message).toBe('3 route(s) or rule(s) could not be put back');
  });

  it('does nothing when the kernel already holds what was there before', async () => {
    const calls: string[] = [];
    await undoRouting(fakeIp(calls, { routes: kernelRoutes, rules: kernelRules }), desired);
    expect(calls.filter((call) => call.includes('<changes>'))).toEqual([]);
  });

  it('does not try to put back a route through a NIC that left the guest', async () => {
    const calls: string[] = [];
    const gone: RoutingState = {
      routes: [{ family: 4, table: 10004, dst: '203.0.113.0/24', dev: 'ens9', src: '203.0.113.9', scope: 'link' }],
      rules: [],
    };
    await undoRouting(fakeIp(calls, { routes: [], rules: [] }), gone);
    expect(calls.filter((call) => call.includes('<changes>'))).toEqual([]);
  });
});
