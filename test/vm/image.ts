/**
 * The VM lab's guest images: a Debian bookworm tree made by debootstrap once and cached,
 * in two flavours, and a fresh root disk per boot with the multinic under test installed.
 *
 *   ifupdown: Debian 12's own cloud setup; cloud-init renders /etc/network/interfaces.d.
 *   netplan:  the ifupdown tree with netplan.io instead of ifupdown, systemd-networkd on;
 *             cloud-init renders /etc/netplan (as Ubuntu and Debian 13 images do).
 *
 * The cache (/var/cache/multinic-test-vm/KEY) is keyed by a hash of RECIPE, so changing
 * what goes into an image rebuilds it; multinic itself is never in the cache: every disk
 * gets the single executable built from the working tree (`multinic install --root`).
 * shared/TEST-MACHINE.md records why each quirk below is there.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findRepoRoot } from '../../mocks/lab/repo-root.js';
import { must, run } from './run.js';

const GUEST_FILES = join(findRepoRoot(), 'test', 'vm', 'guest');

export type Flavour = 'ifupdown' | 'netplan';
export const FLAVOURS: Flavour[] = ['ifupdown', 'netplan'];

export const CACHE_ROOT = process.env.MULTINIC_VM_CACHE ?? '/var/cache/multinic-test-vm';

/** Everything that decides what is in a cached image; its hash names the cache entry. */
export const RECIPE = {
  version: 2,
  suite: 'bookworm',
  packages: [
    'linux-image-cloud-amd64',
    'systemd-sysv',
    'udev',
    'kmod',
    'initramfs-tools',
    'dbus',
    'iproute2',
    'iputils-ping',
    'netbase',
    // cloud-init fails to install without python3-cffi-backend named (python3-cryptography's
    // virtual dependencies); its ifupdown output adds routes with `route`, hence net-tools.
    'cloud-init',
    'python3-cffi-backend',
    'net-tools',
    'ifupdown',
    // cloud-init's ephemeral DHCP (metadata service without a config drive) runs dhclient;
    // ifupdown renders bonds and VLANs with ifenslave and vlan; the embedded user_data
    // example needs a node (Debian 12's nodejs, 18.x).
    'isc-dhcp-client',
    'vlan',
    'ifenslave',
    'nodejs',
  ],
  netplan: { install: ['netplan.io'], purge: ['ifupdown'], enable: ['systemd-networkd.service'] },
  cloudCfg: [
    '# The VM lab (test/vm): config drive first, then the metadata service.',
    // On one line: cloud-init 22.4 reads a multi-line datasource_list from cloud.cfg.d wrongly.
    'datasource_list: [ ConfigDrive, OpenStack, None ]',
    // en_US.UTF-8 is not generated in a minimal tree and the locale module fails on it.
    'locale: C.UTF-8',
    'manage_etc_hosts: false',
    '',
  ].join('\n'),
  // Timers that would compete with the boot for the emulated CPU.
  masked: [
    'apt-daily.timer',
    'apt-daily-upgrade.timer',
    'dpkg-db-backup.timer',
    'e2scrub_all.timer',
    'e2scrub_reap.service',
    'fstrim.timer',
    'man-db.timer',
  ],
};

export const CACHE_KEY = createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex').slice(0, 16);

/** The machine's own Debian mirror (from its apt sources): the one that is reachable. */
async function debianMirror(): Promise<string> {
  const files = [
    '/etc/apt/sources.list',
    ...(await readdir('/etc/apt/sources.list.d').catch(() => [])).map((name) => join('/etc/apt/sources.list.d', name)),
  ];
  for (const file of files.filter((name) => /\.(list|sources)$/.test(name))) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const match of text.matchAll(/^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s*)?)(http\S+)/gm)) {
      const uri = match[1]!;
      if (/debian\/?$/.test(uri) && !uri.includes('security')) return uri;
    }
  }
  return 'http://deb.debian.org/debian';
}

async function configureBase(tree: string): Promise<void> {
  await writeFile(join(tree, 'etc', 'cloud', 'cloud.cfg.d', '90-multinic-lab.cfg'), RECIPE.cloudCfg);
  for (const unit of RECIPE.masked) {
    const path = join(tree, 'etc', 'systemd', 'system', unit);
    await rm(path, { force: true });
    await symlink('/dev/null', path);
  }
  await writeFile(join(tree, 'etc', 'hostname'), 'multinic-guest\n');
  // The host's resolver means nothing in the guest (and nothing there needs names).
  await writeFile(join(tree, 'etc', 'resolv.conf'), '');
}

async function makeNetplanFlavour(tree: string): Promise<void> {
  // apt in the chroot needs the host's resolver for the mirror; no service may start there.
  await copyFile('/etc/resolv.conf', join(tree, 'etc', 'resolv.conf'));
  await writeFile(join(tree, 'usr', 'sbin', 'policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await must(
      'chroot',
      [tree, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...RECIPE.netplan.install],
      { env, timeoutMs: 600_000 },
    );
    await must('chroot', [tree, 'apt-get', 'purge', '-y', '-q', ...RECIPE.netplan.purge], { env, timeoutMs: 300_000 });
    await must('chroot', [tree, 'apt-get', 'clean'], { env });
  } finally {
    await rm(join(tree, 'usr', 'sbin', 'policy-rc.d'), { force: true });
    await writeFile(join(tree, 'etc', 'resolv.conf'), '');
  }
  await must('systemctl', ['--root', tree, 'enable', ...RECIPE.netplan.enable]);
}

/** The cached trees, built now if missing. Returns the folder holding `ifupdown/` and `netplan/`. */
export async function cachedTrees(log: (line: string) => void = () => undefined): Promise<string> {
  const dir = join(CACHE_ROOT, CACHE_KEY);
  if (existsSync(join(dir, 'done'))) return dir;
  await mkdir(CACHE_ROOT, { recursive: true });
  const temp = `${dir}.tmp-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp);
  const started = Date.now();
  const ifupdown = join(temp, 'ifupdown');
  const mirror = await debianMirror();
  log(`vm image: debootstrap ${RECIPE.suite} from ${mirror} into ${ifupdown}`);
  const boot = await run(
    'debootstrap',
    ['--variant=minbase', `--include=${RECIPE.packages.join(',')}`, RECIPE.suite, ifupdown, mirror],
    { timeoutMs: 900_000 },
  );
  if (boot.code !== 0) {
    const log = await readFile(join(ifupdown, 'debootstrap', 'debootstrap.log'), 'utf8').catch(() => '');
    throw new Error(`debootstrap exited ${boot.code}: ${boot.stderr.slice(-1500)}\n${log.slice(-1500)}`);
  }
  await must('chroot', [ifupdown, 'apt-get', 'clean']);
  await configureBase(ifupdown);
  log(`vm image: ifupdown tree in ${Math.round((Date.now() - started) / 1000)} s; netplan flavour from it`);
  await must('cp', ['-a', ifupdown, join(temp, 'netplan')]);
  await makeNetplanFlavour(join(temp, 'netplan'));
  await writeFile(join(temp, 'done'), `${JSON.stringify(RECIPE, null, 2)}\n`);
  // Another run may have finished the same key meanwhile: keep theirs.
  if (existsSync(join(dir, 'done'))) await rm(temp, { recursive: true, force: true });
  else {
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
  }
  // Older keys are dead weight (about 1.5 GB each).
  for (const name of await readdir(CACHE_ROOT)) {
    if (name !== CACHE_KEY && !name.includes('.tmp-'))
      await rm(join(CACHE_ROOT, name), { recursive: true, force: true });
  }
  log(`vm image: both flavours built in ${Math.round((Date.now() - started) / 1000)} s`);
  return dir;
}

export interface GuestDisk {
  disk: string;
  kernel: string;
  initrd: string;
}

export interface DiskOptions {
  flavour: Flavour;
  /** The single executable to install (build/multinic); none: an image without multinic. */
  binary?: string;
  /**
   * false: install the binary but leave multinic.service disabled, as an image built for
   * cloud-init/user-data-baked.yaml is (the user_data enables it).
   */
  enableMultinic?: boolean;
  /** More files for the tree: path inside the guest → content. */
  files?: Record<string, string>;
  /** Units to enable besides multinic.service and the agent. */
  enable?: string[];
}

/** A root disk for one guest, in `work`: a copy of the cached tree, multinic installed into it. */
export async function makeGuestDisk(work: string, options: DiskOptions): Promise<GuestDisk> {
  const trees = await cachedTrees();
  const tree = join(work, 'tree');
  await rm(tree, { recursive: true, force: true });
  await must('cp', ['-a', '--reflink=auto', join(trees, options.flavour), tree]);
  try {
    if (options.binary) {
      await must(options.binary, ['install', '--root', tree]);
      if (options.enableMultinic !== false) await must('systemctl', ['--root', tree, 'enable', 'multinic.service']);
    }
    const agentDir = join(tree, 'usr', 'local', 'lib', 'multinic-test');
    await mkdir(agentDir, { recursive: true });
    await copyFile(join(GUEST_FILES, 'agent.py'), join(agentDir, 'agent.py'));
    await copyFile(
      join(GUEST_FILES, 'multinic-test-agent.service'),
      join(tree, 'etc', 'systemd', 'system', 'multinic-test-agent.service'),
    );
    await must('systemctl', ['--root', tree, 'enable', 'multinic-test-agent.service', ...(options.enable ?? [])]);
    for (const [path, content] of Object.entries(options.files ?? {})) {
      await mkdir(join(tree, path, '..'), { recursive: true });
      await writeFile(join(tree, path), content);
    }
    const boot = await readdir(join(tree, 'boot'));
    const kernel = boot.find((name) => name.startsWith('vmlinuz-'));
    const initrd = boot.find((name) => name.startsWith('initrd.img-'));
    if (!kernel || !initrd) throw new Error(`no kernel or initrd in ${join(trees, options.flavour, 'boot')}`);
    await copyFile(join(tree, 'boot', kernel), join(work, 'vmlinuz'));
    await copyFile(join(tree, 'boot', initrd), join(work, 'initrd.img'));
    const disk = join(work, 'root.img');
    await rm(disk, { force: true });
    await must('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', tree, disk, '3G'], { timeoutMs: 300_000 });
    return { disk, kernel: join(work, 'vmlinuz'), initrd: join(work, 'initrd.img') };
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}
