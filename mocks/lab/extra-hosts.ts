/**
 * More hosts around a lab's guest (issue 14): namespaces of their own, each joined by a veth
 * pair either to a bridge in the guest (a container bridge), to the guest directly (a
 * tunnel-like point-to-point link), or to a network's bridge in the switch (a neighbour on
 * one of the guest's subnets, behind the switch like any other port). Built with `ip` in
 * namespaces named after the lab, removed by destroy() (and by the lab's exit hook's
 * counterpart here).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ExecResult, Lab } from './lab.js';

export interface ExtraHost {
  name: string;
  /** Where its eth0 is plugged: a bridge in the guest, the guest itself, or a switch bridge (br<network index>). */
  attach: { guestBridge: string } | { guestLink: string } | { switchBridge: string };
  /** CIDRs on its eth0. */
  addresses: string[];
  /** CIDRs on its loopback (hosts "behind" it, as behind a tunnel). */
  loopback?: string[];
  /** Default gateways (IPv4 and/or IPv6). */
  gateways: string[];
  /** For attach guestBridge/guestLink: CIDRs the guest side gets, and routes the guest adds. */
  guestAddresses?: string[];
  guestRoutes?: { to: string; via: string }[];
}

export interface ExtraHosts {
  exec(host: string, command: string, args: string[]): Promise<ExecResult>;
  /** Does `from` (a host here, or 'client') get an answer from `address`? Optionally from a source address. */
  answers(from: string, address: string, source?: string): Promise<boolean>;
  destroy(): Promise<void>;
}

function run(command: string, args: string[]): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ exitCode: code ?? 1, stdout, stderr });
    });
  });
}

async function must(command: string, args: string[]): Promise<void> {
  const result = await run(command, args);
  if (result.exitCode !== 0)
    throw new Error(`extra hosts: ${command} ${args.join(' ')} failed: ${result.stderr.trim()}`);
}

export async function addExtraHosts(lab: Lab, hosts: ExtraHost[]): Promise<ExtraHosts> {
  const ns = (host: string) => `${lab.id}-x-${host}`;
  const created: string[] = [];
  const onExit = () => {
    for (const name of created) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', onExit);
  const destroy = async () => {
    for (const name of created.splice(0)) await run('ip', ['netns', 'del', name]);
    process.off('exit', onExit);
  };
  try {
    for (const [index, host] of hosts.entries()) {
      const name = ns(host.name);
      await must('ip', ['netns', 'add', name]);
      created.push(name);
      await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      await must('ip', [
        'netns',
        'exec',
        name,
        'sysctl',
        '-qw',
        'net.ipv6.conf.all.accept_dad=0',
        'net.ipv6.conf.default.accept_dad=0',
      ]);
      const outer = `xh${index}`;
      const [peerNs, side] = 'switchBridge' in host.attach ? [lab.names.switch, 'switch'] : [lab.names.guest, 'guest'];
      await must('ip', [
        '-n',
        name,
        'link',
        'add',
        'eth0',
        'type',
        'veth',
        'peer',
        'name',
        'guestLink' in host.attach ? host.attach.guestLink : outer,
        'netns',
        peerNs,
      ]);
      const peerName = 'guestLink' in host.attach ? host.attach.guestLink : outer;
      if ('switchBridge' in host.attach)
        await must('ip', ['-n', peerNs, 'link', 'set', peerName, 'master', host.attach.switchBridge]);
      if ('guestBridge' in host.attach) {
        const bridge = host.attach.guestBridge;
        const exists = (await run('ip', ['-n', peerNs, 'link', 'show', bridge])).exitCode === 0;
        if (!exists) {
          await must('ip', ['-n', peerNs, 'link', 'add', bridge, 'type', 'bridge']);
          await must('ip', ['-n', peerNs, 'link', 'set', bridge, 'up']);
        }
        await must('ip', ['-n', peerNs, 'link', 'set', peerName, 'master', bridge]);
      }
      await must('ip', ['-n', peerNs, 'link', 'set', peerName, 'up']);
      await must('ip', ['-n', name, 'link', 'set', 'eth0', 'up']);
      const guestDev = 'guestBridge' in host.attach ? host.attach.guestBridge : peerName;
      if (side === 'guest') {
        for (const cidr of host.guestAddresses ?? [])
          await must('ip', [
            '-n',
            peerNs,
            ...(cidr.includes(':') ? ['-6'] : []),
            'addr',
            'add',
            cidr,
            'dev',
            guestDev,
            ...(cidr.includes(':') ? ['nodad'] : []),
          ]);
      }
      for (const cidr of host.addresses)
        await must('ip', [
          '-n',
          name,
          ...(cidr.includes(':') ? ['-6'] : []),
          'addr',
          'add',
          cidr,
          'dev',
          'eth0',
          ...(cidr.includes(':') ? ['nodad'] : []),
        ]);
      for (const cidr of host.loopback ?? [])
        await must('ip', ['-n', name, ...(cidr.includes(':') ? ['-6'] : []), 'addr', 'add', cidr, 'dev', 'lo']);
      for (const gateway of host.gateways)
        await must('ip', [
          '-n',
          name,
          ...(gateway.includes(':') ? ['-6'] : []),
          'route',
          'add',
          'default',
          'via',
          gateway,
        ]);
      for (const route of host.guestRoutes ?? []) {
        await must('ip', [
          '-n',
          peerNs,
          ...(route.to.includes(':') ? ['-6'] : []),
          'route',
          'add',
          route.to,
          'via',
          route.via,
          'dev',
          guestDev,
        ]);
      }
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  const exec = (host: string, command: string, args: string[]) =>
    run('ip', ['netns', 'exec', ns(host), command, ...args]);
  return {
    exec,
    answers: async (from, address, source) => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const args = ['-c', '1', '-W', '1', '-n', '-q', ...(source ? ['-I', source] : []), address];
        const result = from === 'client' ? await lab.exec('client', 'ping', args) : await exec(from, 'ping', args);
        if (result.exitCode === 0) return true;
      }
      return false;
    },
    destroy,
  };
}
