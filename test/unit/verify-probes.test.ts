import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/kernel/run.js';
import { checkRoutes, probesFor } from '../../src/kernel/verify.js';
import type { RoutingState } from '../../src/plan/types.js';
import { ens5Planned, ens5Rule, ens5Subnet } from './builders.js';

const nic = ens5Planned;
const desired: RoutingState = {
  routes: [ens5Subnet, { family: 4, table: 10003, dst: '198.51.100.0/25', via: '192.0.2.1', dev: 'ens5' }],
  rules: [ens5Rule],
};

describe('route checks', () => {
  it('asks about an on-link host when the table has no default route, and about each host route', () => {
    expect(probesFor([nic], desired)).toEqual([
      { family: 4, iface: 'ens5', table: 10003, address: '192.0.2.30', destination: '192.0.2.1' },
      { family: 4, iface: 'ens5', table: 10003, address: '192.0.2.30', destination: '198.51.100.1', via: '192.0.2.1' },
    ]);
  });

  it('asks about an off-link documentation address outside every route when there is a default route', () => {
    const withDefault: RoutingState = {
      ...desired,
      routes: [...desired.routes, { family: 4, table: 10003, dst: 'default', via: '192.0.2.1', dev: 'ens5' }],
    };
    // 198.51.100.254 lies outside the host route's 198.51.100.0/25.
    expect(probesFor([nic], withDefault)[0]?.destination).toBe('198.51.100.254');
    const wider: RoutingState = {
      ...withDefault,
      routes: withDefault.routes.map((route) =>
        route.via && route.dst !== 'default' ? { ...route, dst: '198.51.100.0/24' } : route,
      ),
    };
    expect(probesFor([nic], wider)[0]?.destination).toBe('203.0.113.254');
  });

  it('fails a host route that the kernel resolves without its gateway', async () => {
    const answers: Record<string, object> = {
      '192.0.2.1': { dst: '192.0.2.1', from: '192.0.2.30', dev: 'ens5', table: '10003' },
      // The host route is gone: the lookup falls through to the main table.
      '198.51.100.1': { dst: '198.51.100.1', from: '192.0.2.30', gateway: '203.0.113.1', dev: 'ens3', table: '254' },
    };
    const run = async (_command: string, _args: string[], options?: { input?: string }): Promise<RunResult> => ({
      stdout: (options?.input ?? '')
        .trim()
        .split('\n')
        .map((line) => JSON.stringify([answers[line.split(' ')[2] ?? '']]))
        .join('\n'),
      stderr: '',
      exitCode: 0,
    });
    const checks = await checkRoutes(run, [nic], desired);
    expect(checks.map((check) => check.ok)).toEqual([true, false]);
    expect(checks[1]?.message).toBe(
      'ens5: replies from 192.0.2.30 to 198.51.100.1 leave ens3 via 203.0.113.1 (table 254), expected ens5 via 192.0.2.1 (table 10003)',
    );
  });

  it('asks the way traffic uses the table: a far address, the gateway, an on-link neighbour, each host route (issue 14)', () => {
    const withDefault: RoutingState = {
      ...desired,
      routes: [...desired.routes, { family: 4, table: 10003, dst: 'default', via: '192.0.2.254', dev: 'ens5' }],
    };
    expect(probesFor([nic], withDefault).map((probe) => [probe.destination, probe.via])).toEqual([
      ['198.51.100.254', '192.0.2.254'],
      ['192.0.2.254', undefined],
      ['192.0.2.1', undefined],
      ['198.51.100.1', '192.0.2.1'],
    ]);
  });

  it("fails when someone else's /32 in the NIC's table takes its replies to one host elsewhere (issue 14)", async () => {
    // A foreign route in table 10003 sends replies to the client 198.51.100.10 out of ens3.
    const foreign = [{ family: 4 as const, table: 10003, dst: '203.0.113.10/32', via: '203.0.113.1', dev: 'ens3' }];
    const probes = probesFor([nic], desired, foreign);
    expect(probes.map((probe) => probe.destination)).toContain('203.0.113.10');
    const run = async (_command: string, _args: string[], options?: { input?: string }): Promise<RunResult> => ({
      stdout: (options?.input ?? '')
        .trim()
        .split('\n')
        .map((line) => {
          const dst = line.split(' ')[2] ?? '';
          if (dst === '203.0.113.10')
            return JSON.stringify([{ dst, from: '192.0.2.30', gateway: '203.0.113.1', dev: 'ens3', table: '10003' }]);
          return JSON.stringify([
            {
              dst,
              from: '192.0.2.30',
              dev: 'ens5',
              table: '10003',
              ...(dst === '198.51.100.1' ? { gateway: '192.0.2.1' } : {}),
            },
          ]);
        })
        .join('\n'),
      stderr: '',
      exitCode: 0,
    });
    const checks = await checkRoutes(run, [nic], desired, foreign);
    expect(checks.filter((check) => !check.ok).map((check) => check.destination)).toEqual(['203.0.113.10']);
  });
});
