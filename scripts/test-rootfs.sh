#!/bin/sh
# Makes a Debian 12 minbase tree (plus systemd, udev and iproute2, as in a real image) at $1 for the packaging test, from a cached tarball when one
# exists (debootstrap takes about 30 s; the tarball a few). Uses the machine's own Debian
# mirror, from its apt sources, since that is the one that is reachable.
#   scripts/test-rootfs.sh DIR [CACHE_DIR]
set -eu
dir=$1
cache=${2:-/var/cache/multinic-test-rootfs}
tarball=$cache/bookworm-minbase-systemd.tar
if [ ! -s "$tarball" ]; then
  mirror=$(sed -n 's/^URIs: *//p; s/^deb  *\(\[[^]]*\] *\)\{0,1\}\(http[^ ]*\) .*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -v security | head -n 1)
  mirror=${mirror:-http://deb.debian.org/debian}
  work=$(mktemp -d)
  debootstrap --variant=minbase --include=systemd,udev,iproute2 bookworm "$work/root" "$mirror" >"$work/log" 2>&1 || { tail -n 20 "$work/log" >&2; rm -rf "$work"; exit 1; }
  mkdir -p "$cache"
  tar -C "$work/root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$work"
fi
mkdir -p "$dir"
tar -C "$dir" -xf "$tarball"
