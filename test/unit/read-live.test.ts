/**
 * readLive with a fake `ip`: what the kernel prints becomes interfaces, owned and foreign
 * routing and main-table gateways; a read that fails, or prints too few answers, fails the
 * read naming the command. It only reads: no route question is asked with it.
 */
import { describe, expect, it } from 'vitest';
import { KernelCommandFailed } from '../../src/errors.js';
import { readLive } from '../../src/kernel/read-live.js';
import type { RunResult } from '../../src/kernel/run.js';

const ens3 = {
  ifindex: 2,
  ifname: 'ens3',
  flags: ['UP'],
  link_type: 'ether',
  address: 'fa:16:3e:00:00:03',
  addr_info: [{ family: 'inet', local: '203.0.113.21', prefixlen: 24, scope: 'global' }],
};
const routes = [
  { dst: 'default', gateway: '203.0.113.1', dev: 'ens3', table: '254' },
  { dst: '203.0.113.0/24', dev: 'ens3', table: '10001', protocol: '147', scope: '253', prefsrc: '203.0.113.21' },
  { dst: '198.51.100.0/24', gateway: '203.0.113.1', dev: 'ens3', table: '10001', protocol: 'static' },
];
const rules = [{ priority: 10001, src: '203.0.113.21', srclen: 32, table: '10001', protocol: '147' }];
const rules6 = [{ priority: 10001, src: '2001:db8::21', srclen: 128, table: '10001', protocol: '147' }];

/** An `ip` that answers each batch line the way the kernel does; `fail` makes that read exit 1. */
function fakeIp(options: { fail?: 'batch' | 'rule6'; short?: boolean } = {}) {
  const asked: string[] = [];
  const run = async (_command: string, args: string[], runOptions?: { input?: string }): Promise<RunResult> => {
    const lines = (runOptions?.input ?? '').split('\n').filter(Boolean);
    asked.push(...lines);
    if (args.includes('-6')) {
      if (options.fail === 'rule6')
        return { stdout: '', stderr: 'RTNETLINK answers: Operation not supported\n', exitCode: 2 };
      return { stdout: `${JSON.stringify(rules6)}\n`, stderr: '', exitCode: 0 };
    }
    if (options.fail === 'batch')
      return { stdout: '[]\n', stderr: 'Dump was interrupted\nCommand failed -:2\n', exitCode: 1 };
    const answers = lines.map((line) =>
      line === 'addr show' ? [ens3] : line.startsWith('route show') ? routes : line === 'rule show' ? rules : [],
    );
    return {
      stdout: answers
        .slice(0, options.short ? 2 : undefined)
        .map((answer) => `${JSON.stringify(answer)}\n`)
        .join(''),
      stderr: '',
      exitCode: 0,
    };
  };
  return { run, asked };
}

describe('readLive', () => {
  it("turns the kernel's answers into interfaces, multinic's tagged routing, the rest, and the main-table gateways", async () => {
    const { run, asked } = fakeIp();
    const live = await readLive(run);
    expect(
      live.interfaces.map((iface) => [iface.name, iface.mac, iface.addresses.map((address) => address.address)]),
    ).toEqual([['ens3', 'fa:16:3e:00:00:03', ['203.0.113.21']]]);
    expect(live.owned.routes.map((route) => route.dst)).toEqual(['203.0.113.0/24']);
    expect(live.owned.rules.map((rule) => [rule.family, rule.from])).toEqual([
      [4, '203.0.113.21/32'],
      [6, '2001:db8::21/128'],
    ]);
    expect(live.foreign.routes.map((route) => route.dst)).toEqual(['198.51.100.0/24']);
    expect(live.gateways.get('ens3')).toEqual({ 4: '203.0.113.1' });
    // Reading asks the kernel nothing about how it would route.
    expect(asked.filter((line) => line.startsWith('route get'))).toEqual([]);
  });

  it('fails naming the command when a read fails or answers short', async () => {
    await expect(readLive(fakeIp({ fail: 'batch' }).run)).rejects.toThrow(
      /ip -j -d -N -batch - .*failed \(exit 1\): Dump was interrupted/s,
    );
    await expect(readLive(fakeIp({ fail: 'rule6' }).run)).rejects.toThrow(/ip -j -N -6 rule show failed \(exit 2\)/);
    await expect(readLive(fakeIp({ short: true }).run)).rejects.toThrow(KernelCommandFailed);
    await expect(readLive(fakeIp({ short: true }).run)).rejects.toThrow(/expected 3 JSON answers, got 2/);
  });
});
