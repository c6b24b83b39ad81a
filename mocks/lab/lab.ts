/**
 * An emulated OpenStack guest in network namespaces, for the end-to-end tests and the
 * demo. Everything lives in namespaces this module creates (names unique per lab) and
 * removes in destroy(); the root namespace's routing is never touched.
 *
 *   client (198.51.100.10) ── router ── switch: one bridge per network, port security ── guest NICs
 *                              │ gateways of every network; the mock metadata service on
 *                              │ 169.254.169.254 and fe80::a9fe:a9fe (it listens on [::]:80)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import type { LoggedRequest, MockConfig } from '../metadata/config.js';
import { findRepoRoot } from './repo-root.js';
import { renderPortSecurity, type PortRules } from './port-security.js';

export type { MockConfig } from '../metadata/config.js';

export interface LabNetwork {
  name: string;
  v4?: { cidr: string; gateway: string };
  v6?: { cidr: string; gateway: string };
}

export interface LabNic {
  name: string;
  mac: string;
  network: string;
  /** CIDRs: '203.0.113.21/24', '2001:db8:a::21/64'. */
  addresses: string[];
  /** The primary NIC holds the main table's default route(s). */
  primary?: boolean;
  /** Put the addresses on with this lifetime in seconds, as a DHCP client or SLAAC would. */
  lifetime?: number;
  /** More addresses port security lets through (Neutron's allowed address pairs). */
  allowedAddresses?: string[];
  /**
   * Plug a tap device into the switch instead of a veth into the guest namespace: the port
   * of a QEMU guest (run with `ip netns exec <switch>` so it can open the tap by name). The
   * guest configures its own addresses, so the lab puts none on.
   */
  tap?: boolean;
  /**
   * Plugged as a hot-plugged port that nobody configures: link down, none of `addresses`
   * on it (they are still the port's: port security lets them through).
   */
  unconfigured?: boolean;
}

export interface LabOptions {
  networks: LabNetwork[];
  nics: LabNic[];
  /** Served by the mock at /openstack/<version>/network_data.json. */
  networkData?: unknown;
  /** false: no metadata service at all. */
  metadata?: false | MockConfig;
}

export type LabHost = 'client' | 'router' | 'guest' | 'switch';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Lab {
  readonly id: string;
  readonly names: Record<LabHost, string>;
  exec(ns: LabHost, command: string, args: string[], opts?: { input?: string }): Promise<ExecResult>;
  multinic(args: string[], opts?: { env?: Record<string, string> }): Promise<ExecResult>;
  answers(address: string): Promise<boolean>;
  reachability(addresses?: string[]): Promise<Map<string, boolean>>;
  metadata: {
    setNetworkData(doc: unknown): Promise<void>;
    setConfig(config: MockConfig): Promise<void>;
    requests(): Promise<LoggedRequest[]>;
  };
  addNic(nic: LabNic): Promise<void>;
  /** The switch-side port of a NIC: the veth peer, or the tap device of a `tap` NIC. */
  portOf(name: string): string;
  removeNic(name: string): Promise<void>;
  destroy(): Promise<void>;
}

export const CLIENT_V4 = '198.51.100.10';
export const CLIENT_V6 = '2001:db8:c::10';
export const METADATA_ADDRESS = '169.254.169.254';

const repoRoot = findRepoRoot();
/** The lab runs the built CLI and mock server: build first (`npm run build`). */
const CLI = (): string => join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const MOCK_SERVER = (): string => join(repoRoot, 'dist', 'mocks', 'metadata', 'server.js');

async function run(command: string, args: string[], input?: string): Promise<ExecResult> {
  return await new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolvePromise({ exitCode: code ?? 1, stdout, stderr });
    });
    if (child.stdin) {
      // A command that exits before reading its input must not crash the lab with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
  });
}

async function must(command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, input);
  if (result.exitCode !== 0) throw new Error(`lab: ${command} ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

const liveLabs = new Set<string[]>();
let exitHookInstalled = false;
/** Last resort when the test process dies without destroy(): delete the namespaces. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const names of liveLabs) {
      for (const name of names) {
        try {
          execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
    }
  });
}

export async function createLab(options: LabOptions): Promise<Lab> {
  const id = `mn${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  const names: Record<LabHost, string> = {
    client: `${id}-client`,
    router: `${id}-router`,
    switch: `${id}-switch`,
    guest: `${id}-guest`,
  };
  const workDir = await mkdtemp(join(tmpdir(), `multinic-lab-${id}-`));
  const configPath = join(workDir, 'metadata.json');
  const logPath = join(workDir, 'requests.log');
  const nsList = Object.values(names);
  liveLabs.add(nsList);
  installExitHook();
  const nics = new Map<string, { nic: LabNic; port: string }>();
  let portCounter = 0;
  let server: ChildProcess | undefined;
  let destroyed = false;

  const inNs = (ns: LabHost, command: string, args: string[], input?: string) =>
    run('ip', ['netns', 'exec', names[ns], command, ...args], input);
  const ip = (ns: LabHost, args: string[]) => must('ip', ['-n', names[ns], ...args]);
  const networkIndex = (name: string) => {
    const index = options.networks.findIndex((network) => network.name === name);
    if (index < 0) throw new Error(`lab: NIC on unknown network "${name}"`);
    return index;
  };

  const writeConfig = async (config: MockConfig) => {
    const temp = `${configPath}.tmp`;
    await writeFile(temp, JSON.stringify(config));
    await rename(temp, configPath);
  };
  let currentConfig: MockConfig = {
    ...(options.metadata === false ? {} : options.metadata),
    ...(options.networkData !== undefined ? { networkData: options.networkData } : {}),
  };

  const applyPortSecurity = async () => {
    const ports: PortRules[] = [...nics.values()].map(({ nic, port }) => {
      const allowed = [...nic.addresses, ...(nic.allowedAddresses ?? [])].map((a) => a.split('/')[0]!);
      return {
        port,
        mac: nic.mac,
        ipv4: allowed.filter((a) => !a.includes(':')),
        ipv6: allowed.filter((a) => a.includes(':')),
      };
    });
    await must('ip', ['netns', 'exec', names.switch, 'nft', '-f', '-'], renderPortSecurity(ports));
  };

  const plugNic = async (nic: LabNic) => {
    if (nics.has(nic.name)) throw new Error(`lab: NIC ${nic.name} exists already`);
    const port = `gp${++portCounter}`;
    const bridge = `br${networkIndex(nic.network)}`;
    nics.set(nic.name, { nic, port });
    if (nic.tap) {
      await ip('switch', ['tuntap', 'add', 'dev', port, 'mode', 'tap']);
      await ip('switch', ['link', 'set', port, 'master', bridge]);
      await ip('switch', ['link', 'set', port, 'up']);
      return;
    }
    await ip('guest', [
      'link',
      'add',
      nic.name,
      'address',
      nic.mac.toLowerCase(),
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      names.switch,
    ]);
    await ip('switch', ['link', 'set', port, 'master', bridge]);
    await ip('switch', ['link', 'set', port, 'up']);
    if (nic.unconfigured) return;
    // Up before the addresses: an IPv6 address with a lifetime added to a down link gets
    // no prefix route when the link comes up.
    await ip('guest', ['link', 'set', nic.name, 'up']);
    const lifetime = nic.lifetime ? ['valid_lft', String(nic.lifetime), 'preferred_lft', String(nic.lifetime)] : [];
    for (const address of nic.addresses) {
      if (address.includes(':'))
        await ip('guest', ['-6', 'addr', 'add', address, 'dev', nic.name, 'nodad', ...lifetime]);
      else await ip('guest', ['addr', 'add', address, 'dev', nic.name, ...lifetime]);
    }
    if (nic.primary) {
      const network = options.networks[networkIndex(nic.network)];
      if (network?.v4) await ip('guest', ['route', 'add', 'default', 'via', network.v4.gateway, 'dev', nic.name]);
      if (network?.v6 && nic.addresses.some((a) => a.includes(':')))
        await ip('guest', ['-6', 'route', 'add', 'default', 'via', network.v6.gateway, 'dev', nic.name]);
    }
  };

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    if (server?.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((done) => server?.once('exit', done));
    }
    for (const name of nsList) await run('ip', ['netns', 'del', name]);
    liveLabs.delete(nsList);
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    for (const name of nsList) {
      await must('ip', ['netns', 'add', name]);
      await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
      // No duplicate address detection: it would only make every IPv6 test wait.
      await inNs(
        name.endsWith('-client')
          ? 'client'
          : name.endsWith('-router')
            ? 'router'
            : name.endsWith('-switch')
              ? 'switch'
              : 'guest',
        'sysctl',
        ['-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'],
      );
    }
    await inNs('router', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    // client ── router
    await ip('client', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'rc', 'netns', names.router]);
    await ip('client', ['addr', 'add', `${CLIENT_V4}/24`, 'dev', 'eth0']);
    await ip('client', ['-6', 'addr', 'add', `${CLIENT_V6}/64`, 'dev', 'eth0', 'nodad']);
    await ip('client', ['link', 'set', 'eth0', 'up']);
    await ip('client', ['route', 'add', 'default', 'via', '198.51.100.1']);
    await ip('client', ['-6', 'route', 'add', 'default', 'via', '2001:db8:c::1']);
    await ip('router', ['addr', 'add', '198.51.100.1/24', 'dev', 'rc']);
    await ip('router', ['-6', 'addr', 'add', '2001:db8:c::1/64', 'dev', 'rc', 'nodad']);
    await ip('router', ['link', 'set', 'rc', 'up']);
    await ip('router', ['addr', 'add', `${METADATA_ADDRESS}/32`, 'dev', 'lo']);
    // router ── one bridge per network in the switch
    for (const [index, network] of options.networks.entries()) {
      const routerSide = `r${index}`;
      await ip('router', [
        'link',
        'add',
        routerSide,
        'type',
        'veth',
        'peer',
        'name',
        `rp${index}`,
        'netns',
        names.switch,
      ]);
      await ip('switch', ['link', 'add', `br${index}`, 'type', 'bridge']);
      await ip('switch', ['link', 'set', `rp${index}`, 'master', `br${index}`]);
      await ip('switch', ['link', 'set', `rp${index}`, 'up']);
      await ip('switch', ['link', 'set', `br${index}`, 'up']);
      if (network.v4)
        await ip('router', [
          'addr',
          'add',
          `${network.v4.gateway}/${ipaddr.parseCIDR(network.v4.cidr)[1]}`,
          'dev',
          routerSide,
        ]);
      if (network.v6)
        await ip('router', [
          '-6',
          'addr',
          'add',
          `${network.v6.gateway}/${ipaddr.parseCIDR(network.v6.cidr)[1]}`,
          'dev',
          routerSide,
          'nodad',
        ]);
      // Nova's metadata service answers on this link-local address too (IPv6-only guests).
      await ip('router', ['-6', 'addr', 'add', 'fe80::a9fe:a9fe/64', 'dev', routerSide, 'nodad']);
      await ip('router', ['link', 'set', routerSide, 'up']);
    }
    for (const nic of options.nics) await plugNic(nic);
    await applyPortSecurity();

    if (options.metadata !== false) {
      await writeConfig(currentConfig);
      const ready = join(workDir, 'ready');
      server = spawn(
        'ip',
        [
          'netns',
          'exec',
          names.router,
          process.execPath,
          MOCK_SERVER(),
          '--listen',
          '[::]:80',
          '--config',
          configPath,
          '--log',
          logPath,
          '--ready',
          ready,
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let serverError = '';
      server.stderr?.on('data', (chunk: Buffer) => (serverError += chunk.toString()));
      for (let attempt = 0; !existsSync(ready); attempt++) {
        if (server.exitCode !== null || attempt > 100)
          throw new Error(`lab: the mock metadata service did not start: ${serverError.trim()}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  const answers = async (address: string): Promise<boolean> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await inNs('client', 'ping', ['-c', '1', '-W', '1', '-n', '-q', address]);
      if (result.exitCode === 0) return true;
    }
    return false;
  };

  return {
    id,
    names,
    exec: (ns, command, args, opts) => inNs(ns, command, args, opts?.input),
    multinic: async (args, opts) => {
      const env = Object.entries(opts?.env ?? {}).map(([key, value]) => `${key}=${value}`);
      return await run('ip', ['netns', 'exec', names.guest, 'env', ...env, process.execPath, CLI(), ...args]);
    },
    answers,
    reachability: async (addresses) => {
      const list = addresses ?? [...nics.values()].flatMap(({ nic }) => nic.addresses.map((a) => a.split('/')[0]!));
      const result = new Map<string, boolean>();
      for (const address of list) result.set(address, await answers(address));
      return result;
    },
    metadata: {
      setNetworkData: async (doc) => {
        currentConfig = { ...currentConfig, networkData: doc };
        await writeConfig(currentConfig);
      },
      setConfig: async (config) => {
        currentConfig = {
          ...config,
          ...(config.networkData === undefined && currentConfig.networkData !== undefined
            ? { networkData: currentConfig.networkData }
            : {}),
        };
        await writeConfig(currentConfig);
      },
      requests: async () => {
        const text = await readFile(logPath, 'utf8').catch(() => '');
        return text
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as LoggedRequest);
      },
    },
    addNic: async (nic) => {
      await plugNic(nic);
      await applyPortSecurity();
    },
    portOf: (name) => {
      const entry = nics.get(name);
      if (!entry) throw new Error(`lab: no NIC ${name}`);
      return entry.port;
    },
    removeNic: async (name) => {
      const entry = nics.get(name);
      if (!entry) throw new Error(`lab: no NIC ${name}`);
      if (entry.nic.tap) await ip('switch', ['link', 'del', entry.port]);
      else await ip('guest', ['link', 'del', name]);
      nics.delete(name);
      await applyPortSecurity();
    },
    destroy,
  };
}
