#!/bin/sh
# Regenerates the netlink captures in this directory from a real kernel (root).
# Usage, from the repository root after `mvn -o -q -pl proxy-core -am test-compile
# dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt`:
#   sh proxy-core/src/test/resources/netlink/capture.sh /tmp/cp.txt
# Scenario "host" (namespace cap-h, peer cap-p):
#   lo; ha (veth, mtu 1400, 02:00:00:00:0a:01) 10.77.0.1/24 fd77::1/64;
#   hb (veth, mtu 1500, 02:00:00:00:0b:01) 10.66.0.1/24 fd66::1/64, 10.55.0.1 peer 10.55.0.2/32;
#   default via 10.77.0.254 dev ha metric 100; default via 10.66.0.254 dev hb metric 50;
#   default via fe80::fe dev ha (IPv6, metric 1024); table 100: default via 10.77.0.253;
#   10.99.0.0/24 via 10.77.0.254.  No auto link-local addresses (addrgenmode none).
# Scenario "multipath": IPv6 default route with next hops fd77::fe dev ha and fd66::fe dev hb.
# Scenario "monitor": datagrams seen while adding then deleting 10.77.0.9/24 and fd77::9/64 on a.
# Scenario "routeget" (in "host", plus prohibit 192.0.2.0/24 and unreachable 2001:db8::/32): one RTM_GETROUTE
#   reply each for 10.66.0.1 (local, hb), 10.66.0.255 (broadcast, hb), 10.99.0.7 (unicast, ha),
#   127.1.2.3 (local 127/8, lo), fd66::1 (local, hb), fd66::1 with oif ha (unicast), 192.0.2.1 (EACCES),
#   2001:db8::1 (unreachable), 0.0.0.0 (EHOSTUNREACH: no FIB entry).
set -eu
CP="$(cat "$1"):$(pwd)/proxy-core/target/classes:$(pwd)/proxy-core/target/test-classes"
OUT="$(cd "$(dirname "$0")" && pwd)"
H=cap-h-$$; P=cap-p-$$
cleanup() { ip netns del "$H" 2>/dev/null || true; ip netns del "$P" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$H"; ip netns add "$P"
ip -n "$H" link set lo up
for x in ha hb; do
  ip -n "$H" link add "$x" type veth peer name "p$x" netns "$P"
  ip -n "$H" link set "$x" addrgenmode none
  ip -n "$P" link set "p$x" addrgenmode none
  ip -n "$P" link set "p$x" up
done
ip -n "$H" link set ha address 02:00:00:00:0a:01 mtu 1400 up
ip -n "$H" link set hb address 02:00:00:00:0b:01 up
ip -n "$H" addr add 10.77.0.1/24 dev ha
ip -n "$H" addr add fd77::1/64 dev ha nodad
ip -n "$H" addr add 10.66.0.1/24 dev hb
ip -n "$H" addr add fd66::1/64 dev hb nodad
ip -n "$H" addr add 10.55.0.1 peer 10.55.0.2/32 dev hb
ip -n "$H" route add default via 10.77.0.254 dev ha metric 100
ip -n "$H" route add default via 10.66.0.254 dev hb metric 50
ip -n "$H" -6 route add default via fe80::fe dev ha
ip -n "$H" route add default via 10.77.0.253 dev ha table 100
ip -n "$H" route add 10.99.0.0/24 via 10.77.0.254 dev ha
ip netns exec "$H" java -cp "$CP" dev.sluice.core.host.NetlinkCapture dump "$OUT/host"
ip -n "$H" route add prohibit 192.0.2.0/24
ip -n "$H" -6 route add unreachable 2001:db8::/32
ip netns exec "$H" java -cp "$CP" dev.sluice.core.host.NetlinkCapture routeget "$OUT/routeget.bin" \
  10.66.0.1 10.66.0.255 10.99.0.7 127.1.2.3 fd66::1 fd66::1%2 192.0.2.1 2001:db8::1 0.0.0.0
ip -n "$H" route del prohibit 192.0.2.0/24
ip -n "$H" -6 route del unreachable 2001:db8::/32
ip -n "$H" -6 route del default via fe80::fe dev ha
ip -n "$H" -6 route add default nexthop via fd77::fe dev ha nexthop via fd66::fe dev hb
ip netns exec "$H" java -cp "$CP" dev.sluice.core.host.NetlinkCapture dump "$OUT/multipath"
rm -f "$OUT/multipath-links.bin" "$OUT/multipath-addrs.bin" "$OUT/multipath-routes4.bin"
ip netns exec "$H" java -cp "$CP" dev.sluice.core.host.NetlinkCapture monitor "$OUT/monitor-addr.bin" \
  "ip addr add 10.77.0.9/24 dev ha && ip addr add fd77::9/64 dev ha nodad && ip addr del 10.77.0.9/24 dev ha && ip addr del fd77::9/64 dev ha"
ip -n "$H" addr show
ip -n "$H" route show table all
