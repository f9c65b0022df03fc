#!/usr/bin/env python3
"""usage: close-kinds.py <port> <server pid> <client.pem> <seconds> <rounds>

New TLS 1.2 connections with a client certificate, each closed right after its handshake as openssl s_time closes
them (no close_notify), alternately with a TCP reset (SO_LINGER 0, what s_time does) and with a FIN (what a browser's
close looks like to the server), round by round; two client processes at once. Prints the server's CPU (utime + stime
of the process and its children, /proc) per handshake for each kind.
"""
import multiprocessing
import os
import socket
import ssl
import struct
import sys
import time

PORT, PID, PEM, SECONDS, ROUNDS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])


def ticks(pid):
    pids = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            pids += [int(c) for c in f.read().split()]
    total = 0
    for p in pids:
        with open(f"/proc/{p}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def client(reset, seconds, out):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(PEM)
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        raw = socket.create_connection(("127.0.0.1", PORT))
        tls = context.wrap_socket(raw, do_handshake_on_connect=True)
        if reset:
            tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tls.close()  # no SSL_shutdown: no close_notify, as s_time
        n += 1
    out.put(n)


def measure(reset):
    out = multiprocessing.Queue()
    before = ticks(PID)
    workers = [multiprocessing.Process(target=client, args=(reset, SECONDS, out)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    after = ticks(PID)
    n = out.get() + out.get()
    return n, 1e6 * (after - before) / os.sysconf("SC_CLK_TCK") / max(n, 1)


for r in range(ROUNDS):
    line = f"round {r + 1}:"
    for reset in (True, False):
        n, us = measure(reset)
        line += f" | {'reset' if reset else 'FIN  '} {n / SECONDS:5.0f}/s {us:6.0f} us"
    print(line, flush=True)
