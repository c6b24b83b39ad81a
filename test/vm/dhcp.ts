/**
 * A DHCP server in the lab's router namespace for one port: what a guest without a config
 * drive needs before it can reach 169.254.169.254 (cloud-init's OpenStack data source
 * brings the primary NIC up with an ephemeral DHCP lease in init-local, as on Neutron,
 * whose DHCP agent hands each port its fixed address). dnsmasq (Debian's dnsmasq-base),
 * DHCP only (--port=0: no DNS), answering only that port's MAC, bound to the router's
 * interface on the port's subnet: no other host is ever offered anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab, LabNetwork } from '../../mocks/lab/lab.js';
import { must, waitFor } from './run.js';

export interface DhcpServer {
  /** dnsmasq's log: DHCPDISCOVER/OFFER/REQUEST/ACK lines for the port. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** The router's interface holding `gateway` (one per lab network). */
async function routerInterface(lab: Lab, gateway: string): Promise<string> {
  const links = JSON.parse((await must('ip', ['-n', lab.names.router, '-j', '-4', 'addr', 'show'])).stdout) as {
    ifname: string;
    addr_info: { local: string }[];
  }[];
  const found = links.find((link) => link.addr_info.some((a) => a.local === gateway));
  if (!found) throw new Error(`dhcp: no router interface holds ${gateway}`);
  return found.ifname;
}

export async function startDhcp(
  lab: Lab,
  work: string,
  network: LabNetwork,
  port: { mac: string; addresses: string[] },
): Promise<DhcpServer> {
  const v4 = network.v4;
  const address = port.addresses.find((a) => !a.includes(':'))?.split('/')[0];
  if (!v4 || !address) throw new Error(`dhcp: port ${port.mac} has no IPv4 address on ${network.name}`);
  const [base = '', bits = '24'] = v4.cidr.split('/');
  const mask =
    ((0xffffffff << (32 - Number(bits))) >>> 0)
      .toString(2)
      .match(/.{8}/g)
      ?.map((byte) => parseInt(byte, 2))
      .join('.') ?? '255.255.255.0';
  const iface = await routerInterface(lab, v4.gateway);
  const logPath = join(work, 'dnsmasq.log');
  const child: ChildProcess = spawn(
    'ip',
    [
      'netns',
      'exec',
      lab.names.router,
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--port=0',
      `--interface=${iface}`,
      '--bind-interfaces',
      '--user=root',
      '--group=root',
      // "static": only hosts named below get a lease, the primary port's MAC alone.
      `--dhcp-range=${base},static,${mask},10m`,
      `--dhcp-host=${port.mac},${address}`,
      `--dhcp-option=option:router,${v4.gateway}`,
      '--dhcp-authoritative',
      `--dhcp-leasefile=${join(work, 'dnsmasq.leases')}`,
      `--pid-file=${join(work, 'dnsmasq.pid')}`,
      '--log-dhcp',
      `--log-facility=${logPath}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      done();
    }),
  );
  const log = async () => await readFile(logPath, 'utf8').catch(() => '');
  try {
    await waitFor(
      'dnsmasq to start',
      10_000,
      async () => {
        if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}: ${stderr.trim()}`);
        return (await log()).includes('started, version') ? true : undefined;
      },
      100,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    log,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
