# An RTSP client that sets up RTP/AVP/TCP interleaved, plays, and then never reads: what the
# streamer must bound and cut. Python, because Node cannot shrink a socket's receive buffer:
# SO_RCVBUF of 2 KiB keeps the kernel from absorbing megabytes before the server's queue grows.
# Usage: python3 stalled-rtsp-client.py rtsp://127.0.0.1:PORT/ch0   (prints "playing", sleeps)
import socket
import sys
import time
from urllib.parse import urlsplit

url = sys.argv[1]
parts = urlsplit(url)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect((parts.hostname, parts.port))
s.sendall(f"SETUP {url}/trackID=0 RTSP/1.0\r\nCSeq: 1\r\n"
          "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n".encode())
reply = s.recv(2048).decode()
session = next(line.split(":", 1)[1].split(";")[0].strip()
               for line in reply.split("\r\n") if line.lower().startswith("session:"))
s.sendall(f"PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {session}\r\n\r\n".encode())
print("playing", flush=True)
time.sleep(120)
