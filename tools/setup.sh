#!/usr/bin/env bash
# Installs everything camstream needs on Debian 12 and builds the workspace. Idempotent: a second
# run only checks (no apt-get update when every package is there, pnpm install from the store).
#   bash tools/setup.sh            # as root, or as a user with sudo
# What it installs and why:
#   ffmpeg            tests decode what the server sends; fixtures are made with it
#   chromium          headless browser tests of the viewer (Debian's build, never a downloaded one)
#   libopenh264-dev   the software H.264 encoder of the `test` source (BSD)
#   build-essential python3 pkg-config   node-gyp builds of the native addons
#   qemu-user-static llvm                check the riscv64 prebuild (run it emulated, llvm-strip)
#   curl procps                          deploy/test.sh drives the init script (curl /healthz, pgrep)
#   musl-tools                           a real musl loader on x86-64 (the board's libc) for native tests
#   g++-riscv64-linux-gnu                riscv64 glibc addons for the riscv64 Node.js check
#   clang libclang-rt-14-dev             libFuzzer and ASan/UBSan builds of the native code
#   valgrind                             callgrind instruction counts in pnpm bench
#   firefox-esr                          the second browser engine of the viewer tests
#   gstreamer1.0-tools -plugins-good -plugins-bad -libav   GStreamer as a real RTSP client
#   gir1.2-gst-rtsp-server-1.0 python3-gst-1.0            GStreamer's RTSP server, the bench peer
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

APT_PACKAGES=(ca-certificates git curl procps build-essential python3 pkg-config ffmpeg chromium
  libopenh264-dev qemu-user-static llvm musl-tools g++-riscv64-linux-gnu clang libclang-rt-14-dev
  valgrind firefox-esr gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-libav gir1.2-gst-rtsp-server-1.0 python3-gst-1.0)

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "run as root or install sudo (apt-get needs root)"
  SUDO="sudo"
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "apt packages present"
fi

command -v node >/dev/null || die "Node.js >= 20 is required and was not found (Debian 12's nodejs is 18: install Node 20 first)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js >= 20 is required, found $(node --version)"

# pnpm, the version pinned in package.json's packageManager field. corepack as shipped with
# Node 20 cannot verify pnpm's signatures, so npm installs it.
want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
  log "npm install -g pnpm@$want"
  $SUDO npm install -g --no-fund --no-audit "pnpm@$want" >/dev/null 2>&1 || die "npm install -g pnpm@$want failed"
fi

log "pnpm install --frozen-lockfile"
# --ignore-scripts: the only scripts it would run are the native packages' own `install`
# (cam-addon-check || node-gyp rebuild, for users of the published tarballs), which would
# compile both addons here a first time before the build below compiles them again; and
# esbuild's optional postinstall.
CI=true pnpm install --frozen-lockfile --ignore-scripts --reporter=append-only || die "pnpm install --frozen-lockfile failed (is pnpm-lock.yaml committed and current?)"

log "build"
. tools/turbo-cache.sh
pnpm exec turbo run build --output-logs=errors-only
log "ready"
