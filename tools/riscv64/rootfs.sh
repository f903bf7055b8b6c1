#!/usr/bin/env bash
# Makes (once) a Debian 13 "trixie" riscv64 root filesystem with Node.js and OpenH264, for running
# riscv64 Node under qemu-riscv64-static (tools/riscv64/check-node.mjs), and prints its path:
#   rootfs=$(bash tools/riscv64/rootfs.sh)
#   qemu-riscv64-static -L "$rootfs" "$rootfs/usr/bin/node" --version
# Debian's own packages, fetched with a private apt configuration (its own sources.list, lists,
# archive and dpkg status under a temp dir: the machine's apt sources are never read or touched)
# from the machine's Debian mirror (or $CAM_DEBIAN_MIRROR), then unpacked with `dpkg -x`
# (no maintainer scripts run). Cached in ~/.cache/camstream/riscv64-rootfs/<key of the package
# list>: a warm run downloads nothing. About 32 MB to download, 125 MB unpacked.
# Packages: nodejs (20.19 in trixie) and its dependency closure; libopenh264-dev for the
# unversioned libopenh264.so the `test` source loads (OpenH264 2.6 in trixie).
set -euo pipefail
suite=trixie
packages=(nodejs libopenh264-dev)

fail() { printf 'riscv64 rootfs: %s\n' "$*" >&2; exit 1; }
cache=$HOME/.cache/camstream/riscv64-rootfs
key=$(printf '%s\n' "$suite" "${packages[@]}" | sha256sum | cut -c1-12)
rootfs=$cache/$suite-$key
if [ -f "$rootfs/.complete" ]; then
  echo "$rootfs"
  exit 0
fi
for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool not found: this script needs a Debian or Ubuntu machine"
done

# The mirror the machine already uses for Debian (a deb line or a deb822 URIs: field), so the
# download goes wherever this machine is allowed to fetch from.
mirror=${CAM_DEBIAN_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
  /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ' || true)}
[ -n "$mirror" ] || fail "no Debian mirror in /etc/apt/sources.list*: set CAM_DEBIAN_MIRROR=http://deb.debian.org/debian"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || fail "$keyring missing: apt-get install debian-archive-keyring"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/archives/partial" "$work/rootfs"
touch "$work/status"
echo "deb [arch=riscv64 signed-by=$keyring] $mirror $suite main" >"$work/sources.list"
apt=(apt-get -q -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::Etc::Preferences=$work/none" -o "Dir::Etc::PreferencesParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::State::status=$work/status"
  -o "Dir::Cache=$work/cache" -o "Dir::Cache::Archives=$work/archives"
  -o APT::Architecture=riscv64 -o APT::Architectures::=riscv64
  -o Debug::NoLocking=1 -o "APT::Sandbox::User=$(id -un)")
start=$SECONDS
printf 'riscv64 rootfs: fetching %s from %s %s (riscv64) into %s\n' "${packages[*]}" "$mirror" "$suite" "$rootfs" >&2
"${apt[@]}" update >"$work/log" 2>&1 || { cat "$work/log" >&2; fail "apt-get update of $mirror $suite failed"; }
# Against an empty dpkg status, apt resolves the whole dependency closure (first alternatives).
"${apt[@]}" install -y --download-only --no-install-recommends "${packages[@]}" >"$work/log" 2>&1 ||
  { cat "$work/log" >&2; fail "apt-get could not download ${packages[*]} for riscv64"; }
debs=("$work"/archives/*.deb)
for deb in "${debs[@]}"; do dpkg-deb -x "$deb" "$work/rootfs"; done
# The merged /usr that base-files and usrmerge would make (/lib/ld-linux-riscv64-lp64d.so.1).
for dir in bin lib sbin; do [ -e "$work/rootfs/$dir" ] || ln -s "usr/$dir" "$work/rootfs/$dir"; done
[ -x "$work/rootfs/usr/bin/node" ] || fail "no usr/bin/node after unpacking ${#debs[@]} packages"
rm -rf "$cache/$suite-"*
mkdir -p "$cache"
mv "$work/rootfs" "$rootfs"
# Written last: a run stopped while moving leaves no .complete, and the next run starts afresh.
printf '%s\n' "${debs[@]##*/}" >"$rootfs/.complete"
printf 'riscv64 rootfs: %s packages, %s, in %ss\n' "${#debs[@]}" "$(du -sh "$rootfs" | cut -f1)" "$((SECONDS - start))" >&2
echo "$rootfs"
