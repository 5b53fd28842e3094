"""Opens many TCP connections that never finish a ZMTP handshake, from a process of its own, so the test
process's descriptor count and memory are Expair's alone. Used by SquatterFloodTests.

usage: squatters.py HOST PORT COUNT WAIT_SECONDS
Connection i sends nothing (i % 3 == 0), half a greeting (1) or a whole greeting and no READY (2), then
stays open and silent. Prints "half" after COUNT // 2 connections and waits for a line on stdin before
opening the rest; prints "all" when every connection is open; then waits up to WAIT_SECONDS for the server
to close every one of them and prints "closed N of COUNT".
"""
import selectors
import socket
import sys
import time

host, port, count, wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])

# 23/ZMTP greeting: signature, version 3.1, mechanism NULL, as-server 0, filler: 64 bytes.
greeting = bytes([0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1]) + b"NULL".ljust(20, b"\0") + bytes(32)
assert len(greeting) == 64

sockets = []


def open_connections(n):
    for _ in range(n):
        s = socket.create_connection((host, port))
        kind = len(sockets) % 3
        if kind == 1:
            s.sendall(greeting[:32])
        elif kind == 2:
            s.sendall(greeting)
        s.setblocking(False)
        sockets.append(s)


begin = time.monotonic()
open_connections(count // 2)
start = time.monotonic()
print("half", flush=True)
sys.stdin.readline()
open_connections(count - count // 2)
print("all", flush=True)
print(f"first half took {start - begin:.3f} s, second half {time.monotonic() - start:.3f} s", file=sys.stderr, flush=True)

selector = selectors.DefaultSelector()
for s in sockets:
    selector.register(s, selectors.EVENT_READ)
still_open = len(sockets)
deadline = time.monotonic() + wait
while still_open and time.monotonic() < deadline:
    for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
        try:
            data = key.fileobj.recv(4096)  # our greeting arrives first; only end of stream counts
        except ConnectionResetError:
            data = b""
        if not data:
            selector.unregister(key.fileobj)
            key.fileobj.close()
            still_open -= 1
print(f"closed {count - still_open} of {count}", flush=True)
