#!/bin/sh
# Re-creates the L2 test captures in this directory: real clients (kernel
# ARP/NDP/SLAAC, busybox udhcpc/arping, ISC dhclient, ndisc6/rdisc6) in a
# "guest" netns talk over a veth pair to a "server" netns running dnsmasq;
# tcpdump on the server side records both directions.
#
# Needs root, iproute2, busybox, tcpdump, dnsmasq, isc-dhcp-client, ndisc6,
# python3 (to turn off veth TX checksum offload, so UDP checksums in the
# capture are complete, as a tap guest produces them). Traffic stays inside
# the two namespaces (10.77.0.0/24, fd77::/64, link-local).
#
# Usage: capture-l2.sh OUTDIR
set -eu
OUT=$(cd "${1:?usage: capture-l2.sh OUTDIR}" && pwd)
S=$$
G=l2cg$S
H=l2cs$S
TMP=$(mktemp -d)
PIDS=""

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    ip netns del "$G" 2>/dev/null || true
    ip netns del "$H" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

txoff() { # $1 netns, $2 ifname: ETHTOOL_STXCSUM off (no ethtool binary here)
    ip netns exec "$1" python3 - "$2" <<'EOF'
import ctypes, fcntl, socket, struct, sys
class EV(ctypes.Structure):
    _fields_ = [("cmd", ctypes.c_uint32), ("data", ctypes.c_uint32)]
ev = EV(0x17, 0)
ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(ev))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s.fileno(), 0x8946, ifr)
EOF
}

start_capture() { # $1 file, rest: filter
    f=$1; shift
    ip netns exec "$H" tcpdump -i vs -U -Z root -w "$OUT/$f" "$@" 2>"$TMP/td.err" &
    TD=$!
    i=0
    while ! grep -q listening "$TMP/td.err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.5
}

stop_capture() {
    sleep 1
    kill -INT "$TD"
    wait "$TD" || true
}

ip netns add "$G"
ip netns add "$H"
ip link add "vg$S" type veth peer name "vs$S"
ip link set "vg$S" netns "$G"
ip link set "vs$S" netns "$H"
ip -n "$G" link set "vg$S" name vg
ip -n "$H" link set "vs$S" name vs
ip -n "$G" link set vg address 52:54:00:12:34:56
ip -n "$H" link set vs address 9a:55:9a:55:9a:55
ip -n "$G" link set lo up
ip -n "$H" link set lo up
txoff "$G" vg
txoff "$H" vs
ip -n "$H" addr add 10.77.0.254/24 dev vs
ip -n "$H" addr add fd77::fe/64 dev vs nodad
ip -n "$H" link set vs up
ip -n "$G" addr add 10.77.0.1/24 dev vg
ip -n "$G" addr add fd77::1/64 dev vg

# 1. Link up: MLD reports, DAD neighbour solicitations (with nonce), router solicitations.
start_capture ndp-linkup.pcap
ip -n "$G" link set vg up
sleep 5
stop_capture

# 2. ARP: kernel request + reply, busybox arping (unknown target, gratuitous, DAD probe).
ip -n "$G" neigh flush dev vg
ip -n "$H" neigh flush dev vs
start_capture arp.pcap arp
ip netns exec "$G" busybox ping -c 1 -W 1 10.77.0.254 >/dev/null || true
ip netns exec "$G" busybox arping -c 1 -w 1 -I vg 10.77.0.99 >/dev/null || true
ip netns exec "$G" busybox arping -U -c 1 -w 1 -I vg 10.77.0.1 >/dev/null || true
ip netns exec "$G" busybox arping -D -c 1 -w 1 -I vg 10.77.0.1 >/dev/null || true
stop_capture

# 3. L4 and fragments: ICMP echo, UDP, TCP SYN (refused), over both families;
#    oversized echoes that the kernel fragments.
ip -n "$G" neigh flush dev vg
start_capture l4.pcap
ip netns exec "$G" busybox ping -c 1 -W 1 10.77.0.254 >/dev/null || true
ip netns exec "$G" busybox ping -c 1 -W 1 fd77::fe >/dev/null || true
echo hello | ip netns exec "$G" socat -u - UDP4-SENDTO:10.77.0.254:5353 || true
echo hello | ip netns exec "$G" socat -u - UDP6-SENDTO:[fd77::fe]:5353 || true
ip netns exec "$G" busybox nc -w 1 10.77.0.254 7 </dev/null 2>/dev/null || true
ip netns exec "$G" busybox nc -w 1 fd77::fe 7 </dev/null 2>/dev/null || true
ip netns exec "$G" busybox ping -c 1 -W 1 -s 2000 10.77.0.254 >/dev/null || true
ip netns exec "$G" busybox ping -c 1 -W 1 -s 2000 fd77::fe >/dev/null || true
stop_capture

# 4. dnsmasq answers DHCPv4, DHCPv6 and sends RAs, as a reference server.
ip netns exec "$H" dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --port=0 \
    --interface=vs --bind-interfaces -u root --no-ping \
    --dhcp-range=10.77.0.50,10.77.0.60,255.255.255.0,12h \
    --dhcp-option=option:router,10.77.0.254 --dhcp-option=option:dns-server,10.77.0.254 \
    --dhcp-option=option:domain-search,example.test,corp.example \
    --dhcp-option=option:domain-name,example.test --dhcp-option=option:mtu,1500 \
    --enable-ra --ra-param=vs,mtu:1500,60 --dhcp-range=fd77::50,fd77::60,64,12h \
    --dhcp-option=option6:dns-server,[fd77::fe] --dhcp-option=option6:domain-search,example.test \
    --dhcp-leasefile="$TMP/leases" --pid-file="$TMP/dnsmasq.pid" >"$TMP/dnsmasq.log" 2>&1 &
PIDS="$PIDS $!"
sleep 1
if ! kill -0 $! 2>/dev/null; then cat "$TMP/dnsmasq.log" >&2; exit 1; fi

# 5. NDP: ndisc6 (NS to the router), kernel neighbour resolution, rdisc6 (RS) and dnsmasq's RA.
ip -n "$G" neigh flush dev vg
start_capture ndp.pcap icmp6
ip netns exec "$G" ndisc6 -1 -r 1 -w 1000 fd77::fe vg >/dev/null || true
ip netns exec "$G" busybox ping -c 1 -W 1 fd77::fe >/dev/null || true
ip netns exec "$G" rdisc6 -1 -r 1 -w 2000 vg >/dev/null || true
stop_capture

# 6. DHCPv4 with busybox udhcpc (DISCOVER/OFFER/REQUEST/ACK) and ISC dhclient (+ RELEASE).
start_capture dhcp4-udhcpc.pcap udp port 67 or udp port 68
timeout 20 ip netns exec "$G" busybox udhcpc -i vg -f -q -n -t 3 -T 1 -s /bin/true \
    -x hostname:guest -O search -O mtu >/dev/null 2>&1 || true
stop_capture
start_capture dhcp4-dhclient.pcap udp port 67 or udp port 68
timeout 20 ip netns exec "$G" dhclient -4 -1 -d -sf /bin/true -lf "$TMP/l4" -pf "$TMP/p4" vg \
    >/dev/null 2>&1 &
DC=$!
sleep 4
kill "$DC" 2>/dev/null || true
wait "$DC" 2>/dev/null || true
timeout 10 ip netns exec "$G" dhclient -4 -r -sf /bin/true -lf "$TMP/l4" -pf "$TMP/p4" vg \
    >/dev/null 2>&1 || true
stop_capture

# 7. DHCPv6 with dhclient -6: SOLICIT/ADVERTISE/REQUEST/REPLY, CONFIRM (restart with a lease),
#    RELEASE, and INFORMATION-REQUEST (-S).
start_capture dhcp6-dhclient.pcap udp port 546 or udp port 547
for step in bind confirm; do
    timeout 20 ip netns exec "$G" dhclient -6 -1 -d -sf /bin/true -lf "$TMP/l6" -pf "$TMP/p6" vg \
        >/dev/null 2>&1 &
    DC=$!
    sleep 4
    kill "$DC" 2>/dev/null || true
    wait "$DC" 2>/dev/null || true
done
timeout 10 ip netns exec "$G" dhclient -6 -r -sf /bin/true -lf "$TMP/l6" -pf "$TMP/p6" vg \
    >/dev/null 2>&1 || true
timeout 10 ip netns exec "$G" dhclient -6 -S -1 -d -sf /bin/true -lf "$TMP/l6s" -pf "$TMP/p6s" vg \
    >/dev/null 2>&1 &
DC=$!
sleep 3
kill "$DC" 2>/dev/null || true
wait "$DC" 2>/dev/null || true
stop_capture
echo "captures written to $OUT"
