#!/usr/bin/python3
# The peer of bench/rtsp.bench.mjs: GStreamer's RTSP server (gst-rtsp-server, Debian's
# gir1.2-gst-rtsp-server-1.0 + python3-gst-1.0) serving the same clip as our streamer, one
# shared media: appsrc (live) ! h264parse ! rtph264pay. A feeder thread hands it one access
# unit every 1/30 s, as a camera would, stamping each with CLOCK_MONOTONIC at the hand-over and
# the RTP time it will carry (timestamp-offset=0: RTP time = running time at 90 kHz).
#   argv: clip.h264 port
#   stdout: {"ready": port}, then on each stdin line "report": {"stamps": [[rtp, ns], ...]}
import json
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

FPS = 30
clip_path, port = sys.argv[1], sys.argv[2]


def access_units(data):
    """Splits an Annex B stream into access units at each AUD/SPS or first slice (x264 output)."""
    starts = []
    i = 0
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0:
            break
        starts.append(i - 1 if i > 0 and data[i - 1] == 0 else i)
        i += 3
    units, current, has_slice = [], None, False
    for n, s in enumerate(starts):
        header = data[s + (4 if data[s + 2] == 0 else 3)]
        kind = header & 0x1F
        first_mb = kind in (1, 5) and (data[s + (5 if data[s + 2] == 0 else 4)] & 0x80)
        if current is None or (has_slice and (kind in (6, 7, 8, 9) or first_mb)):
            if current is not None:
                units.append(data[current:s])
            current, has_slice = s, False
        if kind in (1, 5):
            has_slice = True
    units.append(data[current:])
    return units


Gst.init(None)
units = access_units(open(clip_path, "rb").read())
stamps = []
lock = threading.Lock()
state = {"src": None, "pipeline": None}

server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( appsrc name=src is-live=true format=time do-timestamp=false "
    "caps=video/x-h264,stream-format=byte-stream,alignment=au,framerate=30/1 "
    "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 timestamp-offset=0 )"
)
factory.set_shared(True)


def configure(_factory, media):
    element = media.get_element()
    state["src"] = element.get_by_name_recurse_up("src")
    state["pipeline"] = media.get_pipeline() if hasattr(media, "get_pipeline") else element


factory.connect("media-configure", configure)
server.get_mount_points().add_factory("/ch0", factory)
server.attach(None)


def feed():
    period = 1.0 / FPS
    n = 0
    next_at = time.monotonic()
    while True:
        next_at += period
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        src = state["src"]
        if src is None:
            continue
        clock = src.get_clock()
        if clock is None:
            continue
        running = clock.get_time() - src.get_base_time()
        buf = Gst.Buffer.new_wrapped(units[n % len(units)])
        buf.pts = running
        buf.duration = Gst.SECOND // FPS
        now = time.monotonic_ns()
        src.emit("push-buffer", buf)
        with lock:
            stamps.append([(running * 90000 // Gst.SECOND) % 2**32, now])
            del stamps[:-2000]
        n += 1


def commands():
    for line in sys.stdin:
        if line.strip() == "report":
            with lock:
                print(json.dumps({"stamps": stamps}), flush=True)


threading.Thread(target=feed, daemon=True).start()
threading.Thread(target=commands, daemon=True).start()
print(json.dumps({"ready": int(port)}), flush=True)
GLib.MainLoop().run()
