#!/usr/bin/env node
/**
 * `npm run deb`: build/multinic_VERSION-REVISION_ARCH.deb with dpkg-deb, from what is already
 * built (build/multinic, the single executable: `npm run bundle && npm run sea`) and the
 * readable originals in cloud-init/, man/ and completion/. No network, no debhelper.
 *
 * Where things go (Debian policy: packages own /usr, never /usr/local):
 *   /usr/sbin/multinic                                   the single executable (no node needed)
 *   /lib/systemd/system/multinic{,@,-reconcile}.service, multinic.timer
 *   /lib/systemd/system-generators/multinic-generator    the timer's interval from multinic.conf
 *   /lib/udev/rules.d/99-multinic.rules
 *   /etc/multinic/multinic.conf                          a conffile: an edited copy survives upgrades
 *   /usr/share/man/man8/multinic.8.gz, /usr/share/bash-completion/completions/multinic
 * The units name /usr/local/sbin/multinic (where `multinic install` puts it): here they
 * name /usr/sbin/multinic instead.
 *
 * MULTINIC_DEB_REVISION sets the Debian revision (default 1), e.g. to build an upgrade.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
const revision = process.env.MULTINIC_DEB_REVISION ?? '1';
const version = `${pkg.version}-${revision}`;
const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
const binary = join(root, 'build', 'multinic');
if (!(await stat(binary).catch(() => undefined))) {
  process.stderr.write('build-deb: build/multinic is missing: run npm run bundle && npm run sea first\n');
  process.exit(66);
}

const stage = join(root, 'build', 'deb', `multinic_${version}_${arch}`);
await rm(stage, { recursive: true, force: true });
const put = async (path, content, mode = 0o644) => {
  await mkdir(dirname(join(stage, path)), { recursive: true });
  await writeFile(join(stage, path), content);
  await chmod(join(stage, path), mode);
};
const original = (file) => readFile(join(root, 'cloud-init', file), 'utf8');
const forDeb = (text) => text.replaceAll('/usr/local/sbin/multinic', '/usr/sbin/multinic');

await mkdir(join(stage, 'usr', 'sbin'), { recursive: true });
await copyFile(binary, join(stage, 'usr', 'sbin', 'multinic'));
await chmod(join(stage, 'usr', 'sbin', 'multinic'), 0o755);
for (const unit of ['multinic.service', 'multinic@.service', 'multinic.timer', 'multinic-reconcile.service']) {
  await put(`lib/systemd/system/${unit}`, forDeb(await original(unit)));
}
await put('lib/systemd/system-generators/multinic-generator', forDeb(await original('multinic-generator')), 0o755);
await put('lib/udev/rules.d/99-multinic.rules', await original('99-multinic.rules'));
await put('etc/multinic/multinic.conf', await original('multinic.conf'));
// gzip -9n: no name or time in the header, so the same page gives the same bytes.
await put('usr/share/man/man8/multinic.8.gz', gzipSync(await readFile(join(root, 'man', 'multinic.8')), { level: 9 }));
await put('usr/share/bash-completion/completions/multinic', await readFile(join(root, 'completion', 'multinic')));
await put(
  'usr/share/doc/multinic/copyright',
  `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: multinic\n\nFiles: *\nLicense: ${pkg.license}\n On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n`,
);

// Every file, for md5sums and the installed size.
async function walk(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}
const files = (await walk(stage)).sort();
let bytes = 0;
const sums = [];
for (const file of files) {
  const data = await readFile(file);
  bytes += data.length;
  sums.push(`${createHash('md5').update(data).digest('hex')}  ${relative(stage, file)}`);
}

const control = [
  'Package: multinic',
  `Version: ${version}`,
  `Architecture: ${arch}`,
  'Maintainer: multinic developers <multinic@localhost>',
  `Installed-Size: ${Math.ceil(bytes / 1024)}`,
  'Depends: iproute2',
  'Section: net',
  'Priority: optional',
  `Description: ${pkg.description}`,
  ' multinic reads network_data.json (metadata service, config drive or file), matches its',
  " links to the guest's NICs by MAC, and gives every NIC its own routing table and a rule",
  ' "from <its address> lookup <its table>", so replies leave by the NIC they arrived on',
  " and Neutron's port security lets them through. A single executable (no node needed),",
  ' with systemd units for every boot, NIC hotplug and a reconcile timer.',
  '',
].join('\n');

// Maintainer scripts: plain sh, no debhelper. Units are enabled on the first install only
// (an upgrade keeps the admin's choice) and disabled on removal; a running systemd is told.
const postinst = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if [ -z "$2" ]; then
    # The .wants directories systemctl enable is about to create, so purge can take them out again.
    mkdir -p /var/lib/multinic
    for dir in /etc/systemd/system/multi-user.target.wants /etc/systemd/system/network-online.target.wants /etc/systemd/system/timers.target.wants; do
      [ -d "$dir" ] || echo "$dir"
    done >/var/lib/multinic/package-created-dirs
    # multinic.service and, through its Also=, multinic.timer.
    systemctl --no-reload enable multinic.service >/dev/null 2>&1 || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    udevadm control --reload || true
    systemctl start multinic.timer || true
  fi
fi
`;
const prerm = `#!/bin/sh
set -e
if [ "$1" = remove ]; then
  if [ -d /run/systemd/system ]; then systemctl stop multinic.timer || true; fi
  systemctl --no-reload disable multinic.service multinic.timer >/dev/null 2>&1 || true
fi
`;
const postrm = `#!/bin/sh
set -e
if [ "$1" = purge ]; then
  if [ -f /var/lib/multinic/package-created-dirs ]; then
    while read -r dir; do rmdir "$dir" 2>/dev/null || true; done </var/lib/multinic/package-created-dirs
  fi
  # The state: table numbers, the cached network_data.json, the record of the last apply.
  rm -rf /var/lib/multinic
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
`;
await put('DEBIAN/control', control);
await put('DEBIAN/conffiles', '/etc/multinic/multinic.conf\n');
await put('DEBIAN/md5sums', `${sums.join('\n')}\n`);
await put('DEBIAN/postinst', postinst, 0o755);
await put('DEBIAN/prerm', prerm, 0o755);
await put('DEBIAN/postrm', postrm, 0o755);

const out = join(root, 'build', `multinic_${version}_${arch}.deb`);
// gzip: quick for a 95 MiB executable on two cores (xz would take a minute).
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, out], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
await rm(stage, { recursive: true, force: true });
process.stdout.write(`${relative(root, out)}: ${(await stat(out)).size} bytes\n`);
