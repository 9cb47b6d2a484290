"""A raw ZMTP 3.0 client for the bounds tests (tests/t_bounds.sh): speaks the NULL
handshake as a DEALER, then misbehaves in ways a libzmq client would not.

  zmtp_raw.py HOST PORT bigframe MB   declare an 8 GiB frame, then send MB MiB of it;
                                      prints the bytes the peer accepted before closing
"""
import socket
import struct
import sys


def handshake(host, port):
    s = socket.create_connection((host, int(port)), timeout=30)
    s.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") + b"\0" * 32)
    got = b""
    while len(got) < 64:
        part = s.recv(64 - len(got))
        if not part:
            sys.exit("peer closed during the greeting")
        got += part
    name, value = b"Socket-Type", b"DEALER"
    body = b"\x05READY" + bytes([len(name)]) + name + struct.pack(">I", len(value)) + value
    s.sendall(bytes([0x04, len(body)]) + body)
    return s


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
