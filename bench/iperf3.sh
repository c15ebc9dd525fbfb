#!/bin/sh
# Benchmark: iperf3 throughput through Sluice, guest -> host and host -> guest,
# at MTU 65520 and 1500, and (when installed) through pasta in the same
# topology, for a ratio measured in one run. Prints a table; asserts nothing.
#
# Needs root, iproute2, iperf3; run after `mvn package`. Traffic stays inside
# the namespaces this script creates: the guest reaches an iperf3 server on
# the host namespace's loopback through the gateway mapping (10.77.0.254).
#
# Usage: bench/iperf3.sh [SECONDS_PER_RUN]   (default 5)
set -eu
secs=${1:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
sluice=$(ls -d "$here"/distribution/target/sluice-*/bin/sluice 2>/dev/null | head -n 1)
[ -x "$sluice" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 1; }
suf=$$
h=bh-$suf
g=bg-$suf
lan=bl-$suf
pids=""
errlog=$(mktemp)
json=$(mktemp)

cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for ns in $g $h $lan; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "/etc/netns/$h"
  [ -s "$errlog" ] && { echo "iperf3 errors:"; cat "$errlog"; } >&2
  rm -f "$errlog" "$json"
}
trap cleanup EXIT INT TERM

for ns in $lan $h $g; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add up0 netns "$lan" type veth peer name eth0 netns "$h"
ip -n "$lan" addr add 10.77.0.254/24 dev up0; ip -n "$lan" link set up0 up
ip -n "$h" addr add 10.77.0.1/24 dev eth0; ip -n "$h" link set eth0 up
ip -n "$h" route add default via 10.77.0.254
mkdir -p "/etc/netns/$h"; echo "nameserver 10.99.0.1" > "/etc/netns/$h/resolv.conf"

ip netns exec "$h" iperf3 -s -B 127.0.0.1 -p 5201 >/dev/null 2>&1 &
pids="$pids $!"
sleep 0.5

# rate DIRECTION_FLAG -> Gbit/s received, from iperf3's JSON (which is tab-indented)
rate() {
  ip netns exec "$g" iperf3 -c 10.77.0.254 -p 5201 -t "$secs" -J $1 >"$json" 2>&1 || true
  v=$(tr -d '\n \t' <"$json" | sed -n 's/.*"sum_received":{[^}]*"bits_per_second":\([0-9.e+]*\).*/\1/p')
  if [ -n "$v" ]; then
    awk -v b="$v" 'BEGIN { printf "%.2f", b / 1e9 }'
  else
    tr -d '\n\t' <"$json" | sed -n 's/.*"error":"\([^"]*\)".*/\1/p' >>"$errlog"
  fi
}

run_set() { # NAME
  for mtu in 65520 1500; do
    ip -n "$g" link set tap0 mtu "$mtu" 2>/dev/null || ip -n "$g" link set eth0 mtu "$mtu"
    up=$(rate ""); down=$(rate "-R")
    printf '%-8s %6s %14s %14s\n' "$1" "$mtu" "${up:-fail}" "${down:-fail}"
  done
}

printf '%-8s %6s %14s %14s\n' impl mtu "g->h Gbit/s" "h->g Gbit/s"

ip netns exec "$h" "$sluice" -q -4 --no-icmp --netns "$g" -I tap0 --config-net &
spid=$!
pids="$pids $spid"
i=0; while ! ip -n "$g" addr show tap0 2>/dev/null | grep -q 10.77.0.1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
run_set sluice
kill "$spid"; wait "$spid" 2>/dev/null || true

if command -v pasta >/dev/null 2>&1; then
  ip netns exec "$h" pasta -q -f -4 --config-net --runas 0 --netns "/run/netns/$g" -I tap0 -t none -u none -T none -U none &
  ppid=$!
  pids="$pids $ppid"
  i=0; while ! ip -n "$g" addr show tap0 2>/dev/null | grep -q 10.77.0.1 && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  run_set pasta
  kill "$ppid"; wait "$ppid" 2>/dev/null || true
fi
