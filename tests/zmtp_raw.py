"""A raw ZMTP 3.0 client for the bounds tests (tests/t_bounds.sh): speaks the NULL
handshake as a DEALER, then sends what a libzmq client would refuse to, or floods.
Messages are given as JSON objects and sent as msgpack maps (a minimal codec below:
the test machine has neither pyzmq nor msgpack for Python); {"$bin": HEX} is bytes.

  zmtp_raw.py HOST PORT bigframe MB   declare an 8 GiB frame, then send MB MiB of it;
                                      prints the bytes the peer accepted before closing
  zmtp_raw.py HOST PORT send JSON     send one message (JSON "-": read from stdin), print
                                      the reply as JSON
  zmtp_raw.py HOST PORT hellos N      N HELLOs under names flood-0..N-1, every reply read
  zmtp_raw.py HOST PORT flood N JSON  send it N times without reading a reply; then
                                      hold the connection open until stdin closes
"""
import json
import socket
import struct
import sys


def pack(o):
    if isinstance(o, bool):
        return b"\xc3" if o else b"\xc2"
    if isinstance(o, int):
        return b"\xd3" + struct.pack(">q", o)
    if isinstance(o, float):
        return b"\xcb" + struct.pack(">d", o)
    if isinstance(o, str):
        b = o.encode("utf-8", "surrogateescape")
        return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(o, list):
        return b"\xdd" + struct.pack(">I", len(o)) + b"".join(pack(x) for x in o)
    if isinstance(o, dict) and list(o) == ["$bin"]:  # {"$bin": HEX}: bytes
        b = bytes.fromhex(o["$bin"])
        return b"\xc6" + struct.pack(">I", len(b)) + b
    if isinstance(o, dict):
        return b"\xdf" + struct.pack(">I", len(o)) + b"".join(pack(k) + pack(v) for k, v in o.items())
    raise TypeError(o)


def unpack(b, i=0):
    t = b[i]
    if t <= 0x7F:
        return t, i + 1
    if t >= 0xE0:
        return t - 256, i + 1
    if 0x80 <= t <= 0x8F or t in (0xDE, 0xDF):
        n, i = (t & 0x0F, i + 1) if t <= 0x8F else (
            int.from_bytes(b[i + 1:i + 3 if t == 0xDE else i + 5], "big"), i + (3 if t == 0xDE else 5))
        d = {}
        for _ in range(n):
            k, i = unpack(b, i)
            d[k], i = unpack(b, i)
        return d, i
    if 0x90 <= t <= 0x9F or t in (0xDC, 0xDD):
        n, i = (t & 0x0F, i + 1) if t <= 0x9F else (
            int.from_bytes(b[i + 1:i + 3 if t == 0xDC else i + 5], "big"), i + (3 if t == 0xDC else 5))
        out = []
        for _ in range(n):
            x, i = unpack(b, i)
            out.append(x)
        return out, i
    if 0xA0 <= t <= 0xBF or t in (0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6):
        w = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}.get(t, 0)
        n = t & 0x1F if w == 0 else int.from_bytes(b[i + 1:i + 1 + w], "big")
        s = b[i + 1 + w:i + 1 + w + n]
        return s.decode("utf-8", "replace"), i + 1 + w + n
    if t in (0xC0, 0xC2, 0xC3):
        return {0xC0: None, 0xC2: False, 0xC3: True}[t], i + 1
    if t == 0xCB:
        return struct.unpack(">d", b[i + 1:i + 9])[0], i + 9
    w = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}[t]
    return int.from_bytes(b[i + 1:i + 1 + w], "big", signed=t >= 0xD0), i + 1 + w


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        part = s.recv(n - len(got))
        if not part:
            raise EOFError("peer closed")
        got += part
    return got


def handshake(host, port):
    s = socket.create_connection((host, int(port)), timeout=30)
    s.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" * 32)
    recv_exact(s, 64)
    name, value = b"Socket-Type", b"DEALER"
    body = b"\x05READY" + bytes([len(name)]) + name + struct.pack(">I", len(value)) + value
    s.sendall(bytes([0x04, len(body)]) + body)
    return s


def frame(payload):
    if len(payload) < 256:
        return bytes([0x00, len(payload)]) + payload
    return b"\x02" + struct.pack(">Q", len(payload)) + payload


def recv_msg(s):
    """The next message frame's payload (commands such as READY/PING are skipped)."""
    while True:
        flags = recv_exact(s, 1)[0]
        n = int.from_bytes(recv_exact(s, 8), "big") if flags & 0x02 else recv_exact(s, 1)[0]
        payload = recv_exact(s, n)
        if not flags & 0x04:
            return payload


def bigframe(s, mib):
    s.sendall(b"\x02" + struct.pack(">Q", 8 << 30))  # a long frame of 8 GiB
    chunk, sent = b"\0" * (1 << 20), 0
    try:
        while sent < mib << 20:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    print(sent)


if __name__ == "__main__":
    sock = handshake(sys.argv[1], sys.argv[2])
    if sys.argv[3] == "bigframe":
        bigframe(sock, int(sys.argv[4]))
    elif sys.argv[3] == "send":
        msg = sys.stdin.read() if sys.argv[4] == "-" else sys.argv[4]
        sock.sendall(frame(pack(json.loads(msg))))
        print(json.dumps(unpack(recv_msg(sock))[0]))
    elif sys.argv[3] == "hellos":  # N HELLOs under names flood-0.. ; reads every reply
        n = int(sys.argv[4])
        sock.sendall(b"".join(frame(pack({"v": 1, "t": "HELLO", "worker": "flood-%d" % i,
                                          "host": "h", "pid": i + 1, "slots": 1}))
                              for i in range(n)))
        for _ in range(n):
            recv_msg(sock)
        print(n)
    elif sys.argv[3] == "flood":
        data = frame(pack(json.loads(sys.argv[5]))) * int(sys.argv[4])
        sock.setblocking(True)
        sock.sendall(data)
        print("sent", flush=True)
        sys.stdin.read()
