"""The Python end of the JsonExchange sample: answers each job with its sum, using pyzmq's recv_json/send_json.

    python3 peer.py [endpoint]      (default tcp://127.0.0.1:5556)
"""
import sys

import zmq

ctx = zmq.Context()
s = ctx.socket(zmq.PAIR)
s.setsockopt(zmq.LINGER, 5000)
s.connect(sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5556")
while True:
    job = s.recv_json()
    if job["id"] < 0:
        break
    s.send_json({"id": job["id"], "sum": sum(job["numbers"]), "computed_by": f"Python {sys.version.split()[0]}"})
s.close()
ctx.term()
