"""pyzmq's side of PyZmqJsonTests: send_json/recv_json on a PAIR socket.

    json_peer.py connect|bind ENDPOINT

Sends a value with send_json, then bytes that are not JSON, then echoes one recv_json value back with
"echoed_by" added. When binding, prints the bound endpoint first; prints "done" at the end.
"""
import sys

import zmq

role, endpoint = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
s = ctx.socket(zmq.PAIR)
s.setsockopt(zmq.LINGER, 5000)
s.setsockopt(zmq.RCVTIMEO, 10000)
s.setsockopt(zmq.SNDTIMEO, 10000)
if role == "bind":
    s.bind(endpoint)
    print(s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
else:
    s.connect(endpoint)

s.send_json({"greeting": "h\u00e9llo from pyzmq \u2713", "numbers": [1, 2, 3], "nested": {"ok": True}})
s.send(b"{not json")
value = s.recv_json()
value["echoed_by"] = "pyzmq"
s.send_json(value)
s.close()
ctx.term()
print("done", flush=True)
