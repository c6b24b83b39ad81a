/**
 * readLive with a fake `ip`: the route probes ride in the read's batch (with -force), a
 * probe that finds no route does not fail the read, and a read line that fails does.
 */
import { describe, expect, it } from 'vitest';
import { KernelCommandFailed } from '../../src/errors.js';
import { readLive } from '../../src/kernel/read-live.js';
import { routeAnswerKey } from '../../src/kernel/route-get.js';
import type { RunResult } from '../../src/kernel/run.js';

const answer = { type: '1', dst: '2001:db8:ffff::1', from: '2001:db8::10', gateway: '2001:db8::1', dev: 'ens3', table: '10001' };

/** Answers reads with empty arrays and `route get` lines from `routes`; lines in `failing` fail as `ip` reports them. */
function fakeIp(seen: { args: string[]; input: string }[], failing: number[] = [], routes: Record<string, object> = {}) {
  return async (_command: string, args: string[], options?: { input?: string }): Promise<RunResult> => {
    const input = options?.input ?? '';
    seen.push({ args, input });
    if (args.includes('rule')) return { stdout: '[]\n', stderr: '', exitCode: 0 };
    const lines = input.split('\n').filter((line) => line.length > 0);
    const stdout = lines
      .map((line, index) => {
        if (failing.includes(index + 1)) return '';
        return line.startsWith('route get') ? `${JSON.stringify([routes[line.split(' ')[2] ?? '']])}\n` : '[]\n';
      })
      .join('');
    const stderr = failing.map((line) => `RTNETLINK answers: Network is unreachable\nCommand failed -:${line}\n`).join('');
    return { stdout, stderr, exitCode: failing.length > 0 ? 1 : 0 };
  };
}

describe('readLive', () => {
  it('without probes, reads addresses, routes and rules in one batch and the IPv6 rules beside it', async () => {
    const seen: { args: string[]; input: string }[] = [];
    const live = await readLive(fakeIp(seen));
    expect(seen.map((call) => call.args.join(' '))).toEqual(['-j -d -N -batch -', '-j -N -6 rule show']);
    expect(seen[0]?.input).toBe('addr show\nroute show table all\nrule show\n');
    expect(live.routeAnswers.size).toBe(0);
  });

  it('asks the probes in the same batch and keeps their answers, even when one finds no route', async () => {
    const seen: { args: string[]; input: string }[] = [];
    const probes = ['route get 2001:db8:ffff::1 from 2001:db8::10', 'route get 198.51.100.254 from 192.0.2.99'];
    const live = await readLive(fakeIp(seen, [5], { '2001:db8:ffff::1': answer }), { probes });
    expect(seen[0]?.args.join(' ')).toBe('-j -d -N -force -batch -');
    expect(seen[0]?.input).toBe(`addr show\nroute show table all\nrule show\n${probes.join('\n')}\n`);
    expect(live.routeAnswers.get(routeAnswerKey('2001:db8:ffff::1', '2001:db8::10'))).toMatchObject({ dev: 'ens3', table: '10001' });
    expect(live.routeAnswers.has(routeAnswerKey('198.51.100.254', '192.0.2.99'))).toBe(false);
  });

  it('fails when one of the reads fails, probes or not', async () => {
    const probes = ['route get 198.51.100.254 from 192.0.2.10'];
    await expect(readLive(fakeIp([], [2]), { probes })).rejects.toThrow(KernelCommandFailed);
    await expect(readLive(fakeIp([], [2]), { probes })).rejects.toThrow(/Command failed -:2/);
    await expect(readLive(fakeIp([], [3]))).rejects.toThrow(KernelCommandFailed);
  });
});
