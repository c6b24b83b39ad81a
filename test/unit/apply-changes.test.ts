/**
 * applyChanges with a fake `ip`: a rerun with nothing to change does not read the kernel a
 * second time (the plan was just diffed against that read) but still probes every address;
 * a run that changed something reads back and fails when the kernel lacks what was applied.
 */
import { describe, expect, it } from 'vitest';
import { VerificationFailed } from '../../src/errors.js';
import { applyChanges } from '../../src/kernel/apply.js';
import { routeAnswerKey } from '../../src/kernel/route-get.js';
import type { RunResult } from '../../src/kernel/run.js';
import type { Changes, PlannedNic, RoutingState } from '../../src/plan/types.js';

const nic: PlannedNic = { mac: 'fa:16:3e:00:00:05', iface: 'ens5', table: 10003, priority: 10003, addresses: ['192.0.2.30'] };
const desired: RoutingState = {
  routes: [
    { family: 4, table: 10003, dst: '192.0.2.0/24', dev: 'ens5', src: '192.0.2.30', scope: 'link' },
    { family: 4, table: 10003, dst: 'default', via: '192.0.2.1', dev: 'ens5' },
  ],
  rules: [{ family: 4, priority: 10003, from: '192.0.2.30/32', table: 10003 }],
};
const nothing: Changes = { add: { routes: [], rules: [] }, remove: { routes: [], rules: [] } };

/**
 * An `ip` that knows an empty kernel and answers every route get through ens5's table, line
 * by line as `ip -batch` does; each call is logged with what its input held.
 */
function fakeIp(calls: string[]) {
  return async (command: string, args: string[], options?: { input?: string }): Promise<RunResult> => {
    const lines = (options?.input ?? '').split('\n').filter((line) => line.length > 0);
    const held = [
      lines.some((line) => line === 'addr show') ? '<read>' : '',
      lines.some((line) => line.startsWith('route get')) ? '<route get>' : '',
      lines.some((line) => line.startsWith('rule add') || line.startsWith('route add')) ? '<changes>' : '',
    ].filter(Boolean);
    calls.push([command, ...args, ...held].join(' '));
    if (args.includes('rule') && args.includes('show')) return { stdout: '[]\n', stderr: '', exitCode: 0 };
    const answers = lines.flatMap((line) => {
      if (line.startsWith('route get')) return [JSON.stringify([{ dst: line.split(' ')[2], from: '192.0.2.30', gateway: '192.0.2.1', dev: 'ens5', table: '10003' }])];
      if (line.endsWith(' show') || line === 'route show table all') return ['[]'];
      return [];
    });
    return { stdout: answers.map((answer) => `${answer}\n`).join(''), stderr: '', exitCode: 0 };
  };
}

describe('applyChanges', () => {
  it('with nothing to change and no answers read before, asks only the route probes, in one process', async () => {
    const calls: string[] = [];
    const result = await applyChanges(fakeIp(calls), { changes: nothing, desired, before: desired, nics: [nic] });
    expect(result.changed).toBe(0);
    // A far address (by the gateway) and the gateway itself (also the on-link neighbour here).
    expect(result.checks.map((check) => [check.destination, check.ok])).toEqual([
      ['198.51.100.254', true],
      ['192.0.2.1', true],
    ]);
    expect(calls).toEqual(['ip -j -N -force -batch - <route get>']);
  });

  it('with nothing to change, judges the probes the first read answered and spawns nothing', async () => {
    const calls: string[] = [];
    const known = new Map([
      [routeAnswerKey('198.51.100.254', '192.0.2.30'), { dst: '198.51.100.254', from: '192.0.2.30', gateway: '192.0.2.1', dev: 'ens5', table: '10003' }],
      [routeAnswerKey('192.0.2.1', '192.0.2.30'), { dst: '192.0.2.1', from: '192.0.2.30', dev: 'ens5', table: '10003' }],
    ]);
    const result = await applyChanges(fakeIp(calls), { changes: nothing, desired, before: desired, nics: [nic], known });
    expect(result.checks).toEqual([
      expect.objectContaining({ address: '192.0.2.30', destination: '198.51.100.254', ok: true }),
      expect.objectContaining({ address: '192.0.2.30', destination: '192.0.2.1', ok: true }),
    ]);
    expect(calls).toEqual([]);
  });

  it('with nothing to change, still fails when the answer read before leaves by another NIC', async () => {
    const known = new Map([[routeAnswerKey('198.51.100.254', '192.0.2.30'), { dst: '198.51.100.254', from: '192.0.2.30', gateway: '203.0.113.1', dev: 'ens3', table: '254' }]]);
    await expect(applyChanges(fakeIp([]), { changes: nothing, desired, before: desired, nics: [nic], known })).rejects.toThrow(VerificationFailed);
  });

  it('after a change, reads the kernel back with the probes in the same batch, and fails (undoing) when it does not hold the change', async () => {
    const calls: string[] = [];
    const changes: Changes = { ...nothing, add: { routes: [], rules: desired.rules } };
    await expect(applyChanges(fakeIp(calls), { changes, desired, before: { routes: [], rules: [] }, nics: [nic] })).rejects.toThrow(VerificationFailed);
    expect(calls.slice(0, 3)).toEqual(['ip -4 -batch - <changes>', 'ip -j -d -N -force -batch - <read> <route get>', 'ip -j -N -6 rule show']);
    // The undo reads again; nothing was owned before and nothing is now, so it changes nothing.
    expect(calls.slice(3)).toEqual(['ip -j -d -N -batch - <read>', 'ip -j -N -6 rule show']);
  });
});
