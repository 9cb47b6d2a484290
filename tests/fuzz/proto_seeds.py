#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_proto: one valid frame per message type of
core/proto.h (with its optional fields), plus a few near misses. Only the standard
library: a minimal msgpack packer for the types the protocol uses.
Usage: tests/fuzz/proto_seeds.py tests/fuzz/corpus/proto"""
import os
import struct
import sys


def pack(o):
    if o is None:
        return b"\xc0"
    if isinstance(o, bool):
        return b"\xc3" if o else b"\xc2"
    if isinstance(o, int):
        if 0 <= o < 128:
            return bytes([o])
        if -32 <= o < 0:
            return struct.pack("b", o)
        return b"\xd3" + struct.pack(">q", o) if o < 0 else b"\xcf" + struct.pack(">Q", o)
    if isinstance(o, float):
        return b"\xcb" + struct.pack(">d", o)
    if isinstance(o, str):
        b = o.encode()
        return (bytes([0xa0 | len(b)]) if len(b) < 32 else b"\xd9" + bytes([len(b)])) + b
    if isinstance(o, bytes):
        return b"\xc4" + bytes([len(o)]) + o
    if isinstance(o, list):
        return bytes([0x90 | len(o)]) + b"".join(pack(x) for x in o)
    if isinstance(o, dict):
        return bytes([0x80 | len(o)]) + b"".join(pack(k) + pack(v) for k, v in o.items())
    raise TypeError(o)


SHA = "ab" * 32
CONFIG = '{"study":"s","n_trials":4,"space":{"x":{"type":"float","low":0,"high":1}}}'
MSGS = {
    "hello": {"t": "HELLO", "worker": "w1", "host": "h", "pid": 4242, "slots": 2,
              "objectives": ["model", "command"], "prefetch": 1},
    "welcome": {"t": "WELCOME", "heartbeat_ms": 1000, "lease_ms": 10000},
    "ask": {"t": "ASK", "slots_free": 2},
    "trial": {"t": "TRIAL", "study": "s", "trial": 7, "attempt": 1, "number": 3,
              "x": [0.5, -1.25], "config": CONFIG, "data": SHA, "seed": 99,
              "kind": "model", "timeout": 30.0},
    "wait": {"t": "WAIT", "ms": 250},
    "bye": {"t": "BYE"},
    "reset": {"t": "RESET"},
    "heartbeat": {"t": "HEARTBEAT", "running": [7, 1, 8, 2]},
    "hb_ack": {"t": "HB_ACK", "cancel": [8, 2]},
    "report": {"t": "REPORT", "trial": 7, "attempt": 1, "step": 3, "value": 0.25},
    "continue": {"t": "CONTINUE", "trial": 7, "attempt": 1},
    "prune": {"t": "PRUNE", "trial": 7, "attempt": 1},
    "task": {"t": "TASK", "trial": 7, "attempt": 1, "x": [0.5], "seed": 1, "final": 0,
             "config": CONFIG, "data": "/tmp/d.csv"},
    "tell": {"t": "TELL", "trial": 7, "attempt": 1, "state": "COMPLETE", "value": 0.9,
             "secs": 1.5, "folds": [0.8, 0.9, 1.0], "error": "", "cv_mean": 0.9,
             "cv_std": 0.1, "val": 0.85, "test": 0.8, "ask": 1},
    "ack": {"t": "ACK", "trial": 7, "attempt": 1, "stale": 0},
    "fetch": {"t": "FETCH", "sha256": SHA, "offset": 0},
    "chunk": {"t": "CHUNK", "sha256": SHA, "offset": 0, "total": 5, "data": b"a,b\n1"},
    "put": {"t": "PUT", "sha256": SHA, "offset": 0, "total": 5, "data": b"a,b\n1"},
    "put_ack": {"t": "PUT_ACK", "sha256": SHA, "offset": 5},
    "submit": {"t": "SUBMIT", "config": CONFIG},
    "submitted": {"t": "SUBMITTED", "study": "s", "created": 1},
    "status": {"t": "STATUS", "study": "s"},
    "status_reply": {"t": "STATUS_REPLY", "json": "{}", "text": "s: 0/4\n"},
    "stop": {"t": "STOP", "study": "s"},
    "stopped": {"t": "STOPPED", "study": "s"},
    "error": {"t": "ERROR", "msg": "unknown study", "bad": 1},
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    frames = {}
    for name, fields in MSGS.items():
        frames[name] = pack({"v": 1, **fields})
    # Near misses the decoder must refuse: wrong version, a wrong field type, a missing
    # required field, an int where a double array is wanted, a nil optional.
    frames["bad_version"] = pack({"v": 2, "t": "ASK", "slots_free": 1})
    frames["bad_type"] = pack({"v": 1, "t": "ASK", "slots_free": "1"})
    frames["bad_missing"] = pack({"v": 1, "t": "REPORT", "trial": 1, "attempt": 1})
    frames["bad_array"] = pack({"v": 1, "t": "TRIAL", **{k: v for k, v in MSGS["trial"].items()
                                                         if k != "t"}, "x": [1, "a"]})
    frames["nil_optional"] = pack({"v": 1, "t": "STATUS", "study": None})
    for name, frame in frames.items():
        with open(os.path.join(out, name + ".msgpack"), "wb") as f:
            f.write(frame)


if __name__ == "__main__":
    main()
