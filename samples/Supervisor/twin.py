"""pyzmq twin of the Supervisor sample: the same roles, arguments and output, so either side can be Python.

    python3 twin.py supervisor [endpoint] [count]
    python3 twin.py worker [endpoint] [count] [interval-ms]
"""
import sys
import time

import zmq

role = sys.argv[1] if len(sys.argv) > 1 else ""
endpoint = sys.argv[2] if len(sys.argv) > 2 else "tcp://127.0.0.1:5555"
count = int(sys.argv[3]) if len(sys.argv) > 3 else sys.maxsize
interval = (int(sys.argv[4]) if len(sys.argv) > 4 else 1000) / 1000

ctx = zmq.Context()
s = ctx.socket(zmq.PAIR)
if role == "supervisor":
    s.bind(endpoint)
    print(f"Supervisor bound to {s.getsockopt(zmq.LAST_ENDPOINT).decode()}", flush=True)
    for _ in range(count):
        print(f"Supervisor received: {s.recv_string()}", flush=True)
elif role == "worker":
    s.setsockopt(zmq.LINGER, 5000)
    s.connect(endpoint)
    for n in range(count):
        if n > 0:
            time.sleep(interval)
        s.send_string(f"Status update {n}")
        print(f"Worker sent: Status update {n}", flush=True)
else:
    print("usage: twin.py supervisor|worker [endpoint] [count] [interval-ms]", file=sys.stderr)
    sys.exit(2)
s.close()
ctx.term()
