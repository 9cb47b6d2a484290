#!/usr/bin/env python3
"""A lossy TCP proxy for the fault tests (tc netem is not available in every kernel).

Forwards every connection to LISTEN on to TARGET and makes the link bad on purpose:
  --delay-ms N     each chunk is held N ms before it is forwarded (order kept)
  --stall-rate R   R times a second on average, all forwarding pauses ...
  --stall-ms N     ... for N ms (every connection, both directions)
  --drop-rate R    each connection is cut (both sides closed) R times a second on average
Addresses are restricted to loopback (127.0.0.0/8) and the benchmarking range
(198.18.0.0/15) the namespace tests use. Prints "ready" on stdout once listening; on
SIGTERM/SIGINT prints "connections=N drops=N stalls=N bytes=N" and exits 0.
"""
import argparse
import asyncio
import ipaddress
import random
import signal
import socket
import struct
import sys

ALLOWED = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("198.18.0.0/15")]
TICK = 0.05  # seconds between the random draws for stalls and drops


def hostport(text):
    host, _, port = text.rpartition(":")
    try:
        addr = ipaddress.ip_address(host)
        port = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: want IPv4:PORT")
    if not any(addr in net for net in ALLOWED) or not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text}: only 127.0.0.0/8 and 198.18.0.0/15")
    return host, port


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.stats = {"connections": 0, "drops": 0, "stalls": 0, "bytes": 0}

    async def stall_loop(self):
        while self.args.stall_rate > 0:
            await asyncio.sleep(TICK)
            if self.rng.random() < self.args.stall_rate * TICK:
                self.stats["stalls"] += 1
                self.flowing.clear()
                await asyncio.sleep(self.args.stall_ms / 1000)
                self.flowing.set()

    async def pump(self, reader, writer):
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            if self.args.delay_ms > 0:
                await asyncio.sleep(self.args.delay_ms / 1000)
            await self.flowing.wait()
            writer.write(chunk)
            await writer.drain()
            self.stats["bytes"] += len(chunk)

    async def dropper(self):
        while True:
            await asyncio.sleep(TICK)
            if self.args.drop_rate > 0 and self.rng.random() < self.args.drop_rate * TICK:
                self.stats["drops"] += 1
                return

    async def handle(self, creader, cwriter):
        self.stats["connections"] += 1
        try:
            sreader, swriter = await asyncio.open_connection(*self.args.target)
        except OSError:
            cwriter.close()
            return
        tasks = [asyncio.ensure_future(c) for c in
                 (self.pump(creader, swriter), self.pump(sreader, cwriter), self.dropper())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for w in (cwriter, swriter):
                # a reset, not a polite FIN: what a broken link looks like to the peers
                sock = w.get_extra_info("socket")
                if sock is not None:
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                    except OSError:
                        pass
                w.close()

    async def run(self):
        server = await asyncio.start_server(self.handle, *self.args.listen)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        staller = asyncio.ensure_future(self.stall_loop())
        print("ready", flush=True)
        await stop.wait()
        staller.cancel()
        server.close()
        print(" ".join(f"{k}={v}" for k, v in self.stats.items()), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", type=hostport, required=True)
    p.add_argument("--target", type=hostport, required=True)
    p.add_argument("--delay-ms", type=float, default=0)
    p.add_argument("--stall-rate", type=float, default=0)
    p.add_argument("--stall-ms", type=float, default=0)
    p.add_argument("--drop-rate", type=float, default=0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if min(args.delay_ms, args.stall_rate, args.stall_ms, args.drop_rate) < 0:
        p.error("rates and times must be >= 0")
    asyncio.run(Proxy(args).run())


if __name__ == "__main__":
    sys.exit(main())
