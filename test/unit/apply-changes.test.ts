/**
 * applyChanges with a fake `ip`: a rerun with nothing to change does not read the kernel a
 * second time (the plan was just diffed against that read) but still probes every address;
 * a run that changed something reads back and fails when the kernel lacks what was applied.
 */
import { describe, expect, it } from 'vitest';
import { VerificationFailed } from '../../src/errors.js';
import { applyChanges } from '../../src/kernel/apply.js';
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

/** An `ip` that knows an empty kernel and answers every route get through ens5's table. */
function fakeIp(calls: string[]) {
  return async (command: string, args: string[], options?: { input?: string }): Promise<RunResult> => {
    const input = options?.input ?? '';
    calls.push([command, ...args].join(' ') + (input.includes('route get') ? ' <route get>' : input.includes('addr show') ? ' <read>' : input ? ' <changes>' : ''));
    if (input.includes('route get')) {
      const answers = input
        .trim()
        .split('\n')
        .map((line) => JSON.stringify([{ dst: line.split(' ')[2], from: '192.0.2.30', gateway: '192.0.2.1', dev: 'ens5', table: '10003' }]));
      return { stdout: `${answers.join('\n')}\n`, stderr: '', exitCode: 0 };
    }
    if (input.includes('addr show')) return { stdout: '[]\n[]\n[]\n', stderr: '', exitCode: 0 };
    if (args.includes('rule') && args.includes('show')) return { stdout: '[]\n', stderr: '', exitCode: 0 };
    return { stdout: '', stderr: '', exitCode: 0 };
  };
}

describe('applyChanges', () => {
  it('with nothing to change, probes the routes without reading the kernel again', async () => {
    const calls: string[] = [];
    const result = await applyChanges(fakeIp(calls), { changes: nothing, desired, before: desired, nics: [nic] });
    expect(result.changed).toBe(0);
    expect(result.checks.map((check) => check.ok)).toEqual([true]);
    expect(calls).toEqual(['ip -j -N -4 -force -batch - <route get>']);
  });

  it('after a change, reads the kernel back and fails (undoing) when it does not hold the change', async () => {
    const calls: string[] = [];
    const changes: Changes = { ...nothing, add: { routes: [], rules: desired.rules } };
    await expect(applyChanges(fakeIp(calls), { changes, desired, before: { routes: [], rules: [] }, nics: [nic] })).rejects.toThrow(VerificationFailed);
    expect(calls.slice(0, 3)).toEqual(['ip -4 -batch - <changes>', 'ip -j -d -N -batch - <read>', 'ip -j -N -6 rule show']);
    // The undo reads again; nothing was owned before and nothing is now, so it changes nothing.
    expect(calls.slice(3)).toEqual(['ip -j -d -N -batch - <read>', 'ip -j -N -6 rule show']);
  });
});
