"""A client of `onedp serve` (docs/serve.md, wire format v1) with Debian's python3-zmq.

    onedp serve models/pusht_onedp_s.safetensors --listen tcp://127.0.0.1:5555 &
    python3 examples/serve_client.py tcp://127.0.0.1:5555

Client(endpoint).hello() -> the policy's shape; .reset(session, seed); .act(session, obs)
-> the action chunk as a list of n_action_steps lists of action_dim floats.
"""
import struct
import sys

import zmq

MAGIC, VERSION = 0x3150444F, 1
HELLO, RESET, ACT, CLOSE, ERROR = 1, 2, 3, 4, 255
HEADER = struct.Struct("<IHHQQQII")  # magic, version, kind, request_id, session, arg, count, reserved


class ServeError(RuntimeError):
    pass


class Client:
    def __init__(self, endpoint, timeout_ms=10000):
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.socket.connect(endpoint)
        self.next_id = 1
        self.shape = None

    def _request(self, kind, session=0, arg=0, floats=()):
        rid, self.next_id = self.next_id, self.next_id + 1
        self.socket.send(HEADER.pack(MAGIC, VERSION, kind, rid, session, arg, len(floats), 0) +
                         struct.pack("<%df" % len(floats), *floats))
        reply = self.socket.recv()
        magic, version, rkind, rrid, _, _, count, _ = HEADER.unpack(reply[:HEADER.size])
        if magic != MAGIC or rrid != rid:
            raise ServeError("reply %d to request %d" % (rrid, rid))
        if rkind == ERROR:
            raise ServeError(reply[HEADER.size:HEADER.size + count].decode())
        return struct.unpack("<%df" % count, reply[HEADER.size:])

    def hello(self):
        obs_dim, action_dim, n_action_steps, n_obs_steps = (int(v) for v in self._request(HELLO))
        self.shape = dict(obs_dim=obs_dim, action_dim=action_dim, n_action_steps=n_action_steps, n_obs_steps=n_obs_steps)
        return self.shape

    def reset(self, session, seed):
        self._request(RESET, session, seed)

    def act(self, session, obs):
        flat = self._request(ACT, session, 0, [float(v) for v in obs])
        d = self.shape["action_dim"] if self.shape else 2
        return [list(flat[i:i + d]) for i in range(0, len(flat), d)]

    def close(self, session):
        self._request(CLOSE, session)


if __name__ == "__main__":
    client = Client(sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5555")
    shape = client.hello()
    print("policy:", shape)
    client.reset(session=1, seed=42)
    for step in range(5):
        obs = [200.0 + 10.0 * j + step for j in range(shape["obs_dim"])]
        chunk = client.act(1, obs)
        print("step %d: first action (%.1f, %.1f)" % (step, chunk[0][0], chunk[0][1]))
    try:
        client.act(1, [1.0])  # a wrong-sized observation: an ERROR reply, raised here
    except ServeError as e:
        print("refused as expected:", e)
    client.close(1)
