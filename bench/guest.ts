/**
 * A bench guest: a network namespace with N veth NICs (the peers live in a second
 * namespace, so the guest sees only its own NICs, as a real one would), each with its own
 * MAC and an address in 203.0.113.0/24, gateway .1 on-link. Names are unique per run; the
 * root namespace is never touched.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const SUBNET = '203.0.113.0/24';
export const GATEWAY = '203.0.113.1';
/** The first NIC's address is .10; N = 64 ends at .73. */
const FIRST_HOST = 10;
export const MAX_NICS = 240;
const SYSCTL_KEYS = ['arp_ignore', 'arp_announce', 'rp_filter'];

export interface BenchNic {
  iface: string;
  mac: string;
  address: string;
}

export interface BenchGuest {
  ns: string;
  peerNs: string;
  nics: BenchNic[];
  /** arp_ignore, arp_announce, rp_filter of a new NIC here, put back by resetGuest. */
  initialSysctl: Record<string, string>;
}

/** Pure: the NICs of an N-NIC guest. */
export function planNics(count: number): BenchNic[] {
  if (count < 1 || count > MAX_NICS) throw new Error(`bench: ${count} NICs do not fit in ${SUBNET}`);
  return Array.from({ length: count }, (_, i) => ({
    iface: `eth${i}`,
    mac: `fa:16:3e:b0:${hex(i >> 8)}:${hex(i & 0xff)}`,
    address: `203.0.113.${FIRST_HOST + i}`,
  }));
}

/** Pure: network_data.json as Nova would write it for these NICs. */
export function toNetworkData(nics: BenchNic[]): unknown {
  return {
    links: nics.map((nic, i) => ({
      id: `tap-${i}`,
      vif_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      type: 'ovs',
      mtu: 1500,
      ethernet_mac_address: nic.mac,
    })),
    networks: nics.map((nic, i) => ({
      id: `network${i}`,
      type: 'ipv4',
      link: `tap-${i}`,
      ip_address: nic.address,
      netmask: '255.255.255.0',
      routes: [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: GATEWAY }],
      network_id: '00000000-0000-4000-8000-0000000000aa',
    })),
    services: [],
  };
}

/** Pure: the seed recipe (shared/seeds/000_*.txt), four ip commands per NIC, one table each. */
export function renderSeedScript(nics: BenchNic[]): string {
  const lines = ['#!/bin/bash', 'set -e'];
  nics.forEach((nic, i) => {
    const table = 100 + i;
    lines.push(
      `ip route add ${SUBNET} dev ${nic.iface} src ${nic.address} table ${table}`,
      `ip route add default via ${GATEWAY} dev ${nic.iface} table ${table}`,
      `ip rule add from ${nic.address}/32 table ${table}`,
      `ip rule add to ${nic.address}/32 table ${table}`,
    );
  });
  return `${lines.join('\n')}\n`;
}

export function runIp(args: string[], input?: string): string {
  return execFileSync('ip', args, { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
}

export function createGuest(count: number): BenchGuest {
  const id = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
  const guest: BenchGuest = {
    ns: `mnbench-g${id}`,
    peerNs: `mnbench-p${id}`,
    nics: planNics(count),
    initialSysctl: {},
  };
  runIp(['netns', 'add', guest.ns]);
  try {
    runIp(['netns', 'add', guest.peerNs]);
    // Created inside the peer namespace with the guest end moved straight into the guest:
    // no link ever appears in the root namespace.
    runIp(
      ['-n', guest.peerNs, '-batch', '-'],
      guest.nics
        .map(
          (nic, i) =>
            `link add p${i} type veth peer name ${nic.iface} netns ${guest.ns} address ${nic.mac}\nlink set p${i} up\n`,
        )
        .join(''),
    );
    const setup = [
      'link set lo up',
      ...guest.nics.flatMap((nic) => [`link set ${nic.iface} up`, `address add ${nic.address}/24 dev ${nic.iface}`]),
    ];
    runIp(['-n', guest.ns, '-batch', '-'], `${setup.join('\n')}\n`);
    for (const key of SYSCTL_KEYS) {
      guest.initialSysctl[key] = execFileSync(
        'ip',
        ['netns', 'exec', guest.ns, 'sysctl', '-n', `net.ipv4.conf.${guest.nics[0]!.iface}.${key}`],
        { encoding: 'utf8' },
      ).trim();
    }
  } catch (error) {
    destroyGuest(guest);
    throw error;
  }
  return guest;
}

export function destroyGuest(guest: BenchGuest): void {
  for (const ns of [guest.ns, guest.peerNs]) {
    try {
      runIp(['netns', 'del', ns]);
    } catch {
      // already gone (or never made)
    }
  }
}

/**
 * Back to a guest with no policy routing: every rule but the kernel's three defaults, every
 * table but local/main/default, and the sysctls multinic sets, as they were.
 */
export function resetGuest(guest: BenchGuest): void {
  for (const family of ['-4', '-6']) {
    const tables = new Set<string>();
    const routes = JSON.parse(runIp(['-n', guest.ns, family, '-j', 'route', 'show', 'table', 'all']) || '[]') as {
      table?: string | number;
    }[];
    for (const route of routes) {
      const table = String(route.table ?? 'main');
      if (!['local', 'main', 'default', '255', '254', '253'].includes(table)) tables.add(table);
    }
    const batch = [
      'rule flush',
      'rule add priority 32766 lookup main',
      'rule add priority 32767 lookup default',
      ...[...tables].map((t) => `route flush table ${t}`),
    ];
    runIp(['-n', guest.ns, family, '-batch', '-'], `${batch.join('\n')}\n`);
  }
  const sysctls = guest.nics.flatMap((nic) =>
    SYSCTL_KEYS.map((key) => `net.ipv4.conf.${nic.iface}.${key}=${guest.initialSysctl[key]!}`),
  );
  execFileSync('ip', ['netns', 'exec', guest.ns, 'sysctl', '-q', '-w', ...sysctls], { stdio: 'ignore' });
}

/** How many rules and routes of our own making the guest holds (to check a run did its work). */
export function countPolicy(guest: BenchGuest): { rules: number; routes: number } {
  const rules = (JSON.parse(runIp(['-n', guest.ns, '-4', '-j', 'rule', 'show'])) as unknown[]).length - 3;
  const routes = (
    JSON.parse(runIp(['-n', guest.ns, '-4', '-j', 'route', 'show', 'table', 'all'])) as { table?: string | number }[]
  ).filter((r) => r.table !== undefined && !['local', 'main', 'default'].includes(String(r.table))).length;
  return { rules, routes };
}

function hex(value: number): string {
  return value.toString(16).padStart(2, '0');
}
