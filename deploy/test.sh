#!/usr/bin/env bash
# Checks the service files against the built streamer (pnpm exec turbo run build
# --filter=@cam/streamer... first), everything under a temp directory, nothing installed:
#   1. both parse: `sh -n` of the init script, `systemd-analyze verify` of the unit (if present);
#   2. every CAM_* variable they set is one `cam-streamer --help` lists; the init script's
#      default channels are those docs/DEVICE.md states, and the streamer takes its defaults
#      (and, running, that its three channels and CAM_SHM_* defaults reach the streamer);
#   3. the init script stops the seed's streamer, starts ours (start-stop-daemon, pid file) with
#      the board's library path, serves /healthz,
#      respawns it after a SIGKILL, reports status, and stops it leaving no process behind;
#      then once more with the output going to syslog through logger (not to a file).
#   bash deploy/test.sh
# Not checked here: BusyBox's start-stop-daemon, logger and sh (Debian's are used), syslog.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The bin as installed (/usr/bin/cam-streamer): a sh script that runs dist/cli.js in Node with its flags.
cli="$root/apps/streamer/bin/cam-streamer"
init="$root/deploy/recamera/S95cam-streamer"
unit="$root/deploy/systemd/cam-streamer.service"
work=$(mktemp -d)
log() { printf 'deploy test: %s\n' "$*"; }
fail() { printf 'deploy test: FAIL: %s\n' "$*" >&2; exit 1; }
cleanup() {
  CAM_STREAMER_DEFAULTS="$work/defaults" sh "$init" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -x "$cli" ] && [ -f "$root/apps/streamer/dist/cli.js" ] ||
  fail "$root/apps/streamer/dist/cli.js missing: pnpm exec turbo run build --filter=@cam/streamer..."

sh -n "$init" || fail "sh -n $init"
log "sh -n S95cam-streamer: ok"
if command -v systemd-analyze >/dev/null; then
  # verify insists that ExecStart exists: point it at the built bin.
  sed "s|^ExecStart=cam-streamer|ExecStart=$cli|" "$unit" >"$work/cam-streamer.service"
  systemd-analyze verify "$work/cam-streamer.service" || fail "systemd-analyze verify $unit"
  log "systemd-analyze verify cam-streamer.service: ok"
else
  log "no systemd-analyze: unit not verified"
fi

help=$("$cli" --help)
for var in $(grep -ohE '\bCAM_[A-Z_]+=' "$init" "$unit" | tr -d = | sort -u); do
  grep -qE "^--[a-z-]+ .* $var " <<<"$help" || fail "$var is not in cam-streamer --help"
done
log "every CAM_* variable set is in cam-streamer --help: ok"
default() { sed -n "s/^$1=//p" "$init"; }
channels=$(default CAM_CHANNELS)
grep -qF "CAM_CHANNELS=$channels " "$root/docs/DEVICE.md" ||
  fail "the init script's CAM_CHANNELS=$channels is not the one docs/DEVICE.md states"
parsed=$(CAM_CHANNELS=$channels CAM_SHM_BYTES=$(default CAM_SHM_BYTES) CAM_SHM_SLOTS=$(default CAM_SHM_SLOTS) \
  node --input-type=module -e "
    const { parseCli } = await import('$root/apps/streamer/dist/index.js');
    const { config } = parseCli([], process.env);
    console.log(config.channels.map((c) => c.width + 'x' + c.height + '@' + c.fps + ':' + c.format).join(','));")
[ "$parsed" = "1920x1080@30:h264,1280x720@30:h264,640x480@15:h264" ] ||
  fail "the init script's defaults give channels $parsed, not the seed v1.1's three H.264 ones"
log "default channels: the seed v1.1's three (as docs/DEVICE.md says), the streamer takes them: ok"

command -v start-stop-daemon >/dev/null || { log "no start-stop-daemon: init script not run"; exit 0; }
port_of() { # the port of the Nth "streamer started" line of the log
  grep '"streamer started"' "$work/log" | sed -n "${1}p" | sed 's/.*"listen":"[^"]*:\([0-9]*\)".*/\1/'
}
wait_started() { # N: wait (bounded) for the Nth start line
  for _ in $(seq 100); do
    n=$(grep -c '"streamer started"' "$work/log" 2>/dev/null || true) # no log yet: empty
    [ "${n:-0}" -ge "$1" ] && return 0
    sleep 0.1
  done
  cat "$work/log" >&2
  fail "no start line #$1"
}
# A stand-in for the seed's init script: records that `start` stopped it.
printf '#!/bin/sh\necho "$1" >>"%s/seed-calls"\n' "$work" >"$work/S95camera-streamer"
chmod +x "$work/S95camera-streamer"
cat >"$work/defaults" <<EOF
DAEMON=$cli
SEED_STREAMER=$work/S95camera-streamer
PIDFILE=$work/cam-streamer.pid
LOG_FILE=$work/log
RESPAWN_DELAY=0
CAM_SOURCE=test
CAM_CHANNELS=160x120@30,128x72@30,64x48@15
CAM_HOST=127.0.0.1
CAM_PORT=0
CAM_RTSP_PORT=0
CAM_SHM_NAME=/cam-deploy-test-$$
CAM_LOG_JSON=true
EOF
export CAM_STREAMER_DEFAULTS="$work/defaults"
sh "$init" start
wait_started 1
curl -fsS "http://127.0.0.1:$(port_of 1)/healthz" >/dev/null || fail "/healthz of the first start"
loop=$(cat "$work/cam-streamer.pid")
first=$(pgrep -P "$loop")
[ -n "$first" ] || fail "no streamer under the respawn loop $loop"
log "started: loop $loop, streamer $first, /healthz answers"
# Three channels (the default's shape, scaled down: the test source encodes in software), their
# H.264 rings sharing the script's own 8 MiB (the defaults file sets no size), 16 slots each.
ring="/dev/shm/cam-deploy-test-$$"
total=0
for n in 0 1 2; do total=$((total + $(stat -c %s "${ring}_ch$n"))); done
[ "$total" -le 8388608 ] && [ "$total" -gt $((8388608 - 3 * 4096)) ] ||
  fail "the three rings take $total bytes, not the script's 8 MiB"
[ "$(stat -c %i "$ring")" = "$(stat -c %i "${ring}_ch0")" ] || fail "$ring is not channel 0's ring"
[ "$(curl -fsS "http://127.0.0.1:$(port_of 1)/api/channels" | grep -o '"id":' | wc -l)" = 3 ] ||
  fail "/api/channels does not list three channels"
grep '"streamer started"' "$work/log" | head -1 | grep -q '"shmSlots":16,' ||
  fail "start line does not show the script's 16 slots"
log "three channels, rings sharing the script's 8 MiB with 16 slots: ok"
# V8's old + young generation: the script's NODE_OPTIONS (64 MiB) + the bin's young cap (3 MiB;
# Node's default young generation would make it 112).
heap=$(grep '"streamer started"' "$work/log" | head -1 | sed 's/.*"heapLimitMiB":\([0-9]*\).*/\1/')
[ "$heap" -ge 64 ] && [ "$heap" -lt 80 ] ||
  fail "heapLimitMiB=$heap: NODE_OPTIONS or the bin's --max-semi-space-size did not reach Node"
log "heap limit ${heap} MiB (the script's --max-old-space-size=64 + the bin's young cap): ok"
[ "$(cat "$work/seed-calls")" = stop ] || fail "start did not stop the seed's streamer first"
tr '\0' '\n' <"/proc/$first/environ" | grep -qx 'LD_LIBRARY_PATH=/mnt/system/lib:/mnt/system/usr/lib:/mnt/system/usr/lib/3rd.*' ||
  fail "the streamer did not get the board's library path"
log "stopped the seed's streamer first; LD_LIBRARY_PATH has the camera libraries: ok"

kill -KILL "$first"
wait_started 2
curl -fsS "http://127.0.0.1:$(port_of 2)/healthz" >/dev/null || fail "/healthz after the respawn"
second=$(pgrep -P "$loop")
[ "$second" != "$first" ] || fail "streamer not replaced"
grep -q 'status 137' "$work/log" || fail "the respawn loop did not log the exit status"
sh "$init" status | grep -q "running (pid $loop)" || fail "status after respawn"
log "respawned after SIGKILL: streamer $second, /healthz answers"

sh "$init" start | grep -q 'already running' || fail "a second start did not see the first"
sh "$init" stop
! kill -0 "$loop" 2>/dev/null || fail "respawn loop $loop still running"
! kill -0 "$second" 2>/dev/null || fail "streamer $second still running"
[ ! -e "$work/cam-streamer.pid" ] || fail "pid file left behind"
for name in "$ring" "${ring}_ch0" "${ring}_ch1" "${ring}_ch2"; do
  [ ! -e "$name" ] || fail "shm ring $name left behind"
done
grep -q '"streamer stopped"' "$work/log" || fail "the streamer did not stop cleanly"
set +e
sh "$init" status >/dev/null
[ $? = 3 ] || fail "status of a stopped service is not 3"
log "stopped: no process, pid file or shm ring left: ok"
set -e

# The syslog path (no LOG_FILE): the port is not in a log we can read, so pick a free one.
port=$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
sed -i -e 's/^LOG_FILE=.*/LOG_FILE=/' -e "s/^CAM_PORT=.*/CAM_PORT=$port/" "$work/defaults"
sh "$init" start
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || fail "/healthz with the output going to logger"
loop=$(cat "$work/cam-streamer.pid")
pgrep -P "$loop" -x logger >/dev/null || fail "no logger under the respawn loop"
sh "$init" stop
! kill -0 "$loop" 2>/dev/null || fail "respawn loop $loop still running (syslog path)"
[ ! -e "$work/cam-streamer.pid.log" ] || fail "log fifo left behind"
log "output to syslog through logger: started, served /healthz, stopped: ok"
