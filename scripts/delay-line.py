#!/usr/bin/env python3
"""A delay line for the packets an NFQUEUE rule hands over (this kernel has no netem): each is
held for DELAY_MS plus a uniformly random 0..JITTER_MS, then let through, so packets arrive late
and out of order as on a jittery path.

    delay-line.py DELAY_MS JITTER_MS [QUEUE]      (PyPI NetfilterQueue; runs until killed)
"""
import heapq
import random
import select
import socket
import sys
import time

from netfilterqueue import NetfilterQueue

delay, jitter = float(sys.argv[1]) / 1000, float(sys.argv[2]) / 1000
queue = int(sys.argv[3]) if len(sys.argv) > 3 else 0
held = []  # (when to let it through, arrival order, packet)
count = 0


def hold(packet):
    global count
    count += 1
    heapq.heappush(held, (time.monotonic() + delay + random.uniform(0, jitter), count, packet))


nfq = NetfilterQueue()
nfq.bind(queue, hold, max_len=4096)
sock = socket.fromfd(nfq.get_fd(), socket.AF_UNIX, socket.SOCK_STREAM)
try:
    while True:
        wait = max(0.0, held[0][0] - time.monotonic()) if held else 1.0
        ready, _, _ = select.select([sock], [], [], wait)
        if ready:
            nfq.run(block=False)
        now = time.monotonic()
        while held and held[0][0] <= now:
            heapq.heappop(held)[2].accept()
finally:
    nfq.unbind()
