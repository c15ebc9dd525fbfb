#!/usr/bin/env python3
"""L2 request storm from a guest interface, for FloodIT.

usage: l2storm.py IFACE SECONDS KIND...   KIND: arp ndp dhcp foreign
Sends the requests in a loop, at most about RATE frames per second per kind,
for SECONDS, then prints how many it sent. Frames carry the interface's own
MAC (so Sluice answers them), except 'foreign': ARP requests from random
source MACs (which Sluice must drop and count). Bounded in time and rate.
"""
import os
import random
import socket
import struct
import sys
import time

RATE = 5000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac_of(iface):
    with open("/sys/class/net/%s/address" % iface) as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def arp(src_mac, sender_ip, target_ip):
    eth = b"\xff" * 6 + src_mac + b"\x08\x06"
    return eth + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + src_mac + socket.inet_aton(sender_ip) \
        + b"\0" * 6 + socket.inet_aton(target_ip)


def ndp_ns(src_mac, target):
    t = socket.inet_pton(socket.AF_INET6, target)
    dst = b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + t[13:]
    m = src_mac
    src = b"\xfe\x80" + b"\0" * 6 + bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:6]
    body = struct.pack("!BBHI", 135, 0, 0, 0) + t + struct.pack("!BB", 1, 1) + src_mac
    pseudo = src + dst + struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    ip6 = struct.pack("!IHBB", 0x60000000, len(body), 58, 255) + src + dst
    eth = b"\x33\x33" + dst[12:] + src_mac + b"\x86\xdd"
    return eth + ip6 + body


def dhcp_discover(src_mac):
    bootp = struct.pack("!BBBBIHH", 1, 1, 6, 0, random.getrandbits(32), 0, 0x8000) + b"\0" * 16 \
        + src_mac + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63" + b"\x35\x01\x01\xff"
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     b"\0\0\0\0", b"\xff\xff\xff\xff")
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + src_mac + b"\x08\x00" + ip + udp


def main():
    iface, seconds, kinds = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    mac = mac_of(iface)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    frames = []
    for k in kinds:
        if k == "arp":
            frames.append(lambda: arp(mac, "10.77.0.1", "10.77.0.254"))
        elif k == "ndp":
            ns = ndp_ns(mac, "fd77::fe")
            frames.append(lambda: ns)
        elif k == "dhcp":
            frames.append(lambda: dhcp_discover(mac))
        elif k == "foreign":
            frames.append(lambda: arp(b"\x02" + os.urandom(5), "10.77.0.1", "10.77.0.254"))
        else:
            sys.exit("unknown kind " + k)
    sent = 0
    end = time.monotonic() + seconds
    burst = max(1, RATE // 100)
    try:
        while time.monotonic() < end:
            t0 = time.monotonic()
            for make in frames:
                for _ in range(burst):
                    try:
                        s.send(make())
                        sent += 1
                    except OSError:
                        pass  # ENOBUFS: the tap queue is full, try again next tick
            time.sleep(max(0.0, 0.01 - (time.monotonic() - t0)))
    except KeyboardInterrupt:  # timeout -s INT: the end of the storm
        pass
    print("sent", sent)


if __name__ == "__main__":
    main()
