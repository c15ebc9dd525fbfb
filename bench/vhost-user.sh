#!/bin/bash
# Benchmark: iperf3 inside the test VM (integration-tests/vm/build-vm.sh, TCG)
# to an iperf3 server on the host side, both directions, at the VM's MTU
# 65520, through: Sluice --vhost-user, Sluice's stream socket, and passt
# --vhost-user (../shared/peers/passt, when present). Same run, same VM image.
# Under TCG the guest's CPU bounds every throughput figure: read the ratios,
# and the proxy's own CPU time per GiB moved (utime+stime from /proc/PID/stat
# over each iperf3 run), which TCG does not bound. Prints a table; asserts nothing.
#
# Needs root, iproute2, iperf3, qemu-system-x86_64; run after `mvn package`.
# Traffic stays in the namespaces made here: the guest reaches the server on
# h's loopback through the gateway mapping (10.77.0.254).
# Usage: bench/vhost-user.sh [SECONDS_PER_RUN]   (default 8)
set -eu
secs=${1:-8}
here=$(cd "$(dirname "$0")/.." && pwd)
sluice=$(ls -d "$here"/distribution/target/sluice-*/bin/sluice 2>/dev/null | head -n 1)
[ -x "$sluice" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 1; }
passt=${PASST:-$here/../../shared/peers/passt}
[ -x "$passt" ] || passt=/work/shared/peers/passt
img=$here/integration-tests/target/vm
sh "$here/integration-tests/vm/build-vm.sh" "$img"
suf=$$
h=vh-$suf
lan=vl-$suf
work=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for ns in $h $lan; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "/etc/netns/$h" "$work"
}
trap cleanup EXIT INT TERM
for ns in $lan $h; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add up0 netns "$lan" type veth peer name eth0 netns "$h"
ip -n "$lan" addr add 10.77.0.254/24 dev up0; ip -n "$lan" link set up0 up
ip -n "$h" addr add 10.77.0.1/24 dev eth0; ip -n "$h" link set eth0 up
ip -n "$h" route add default via 10.77.0.254
mkdir -p "/etc/netns/$h"; echo "nameserver 10.77.0.254" > "/etc/netns/$h/resolv.conf"
ip netns exec "$h" iperf3 -s -B 127.0.0.1 -p 5201 >/dev/null 2>&1 &
pids="$pids $!"

# The guest's script: lease, then each direction between markers the host watches.
mkdir -p "$work/extra"
cat > "$work/extra/check.sh" <<CHECK
#!/bin/sh
ip link set eth0 up
udhcpc -i eth0 -s /udhcpc.script -n -q -t 10 -T 3 >/dev/null 2>&1
for dir in up down; do
  flag=""; [ \$dir = down ] && flag=-R
  echo "BEGIN \$dir"
  iperf3 -c 10.77.0.254 -p 5201 -t $secs \$flag -f m 2>&1 | grep receiver | awk '{print "RESULT '\$dir' " \$5 " " \$6 " " \$7}'
  echo "END \$dir"
done
poweroff -f
CHECK
chmod +x "$work/extra/check.sh"
(cd "$work/extra" && find . | busybox cpio -o -H newc 2>/dev/null) > "$work/extra.cpio"
cat "$img/initramfs.cpio.gz" "$work/extra.cpio" > "$work/initrd"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run NAME PROXY_PID NETDEV_ARGS...: boots the VM, prints one result line per direction.
run() {
  name=$1; ppid=$2; shift 2
  log=$work/$name.serial
  : > "$log"
  ip netns exec "$h" timeout 300 qemu-system-x86_64 -accel tcg -m 512M -smp 1 -nodefaults -display none -no-reboot \
    -kernel "$img/vmlinuz" -initrd "$work/initrd" -append "console=ttyS0 quiet panic=-1" \
    -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
    -serial "file:$log" -serial null "$@" >"$work/$name.qemu" 2>&1 &
  q=$!
  for dir in up down; do
    while ! grep -q "BEGIN $dir" "$log"; do kill -0 $q 2>/dev/null || break 2; sleep 0.1; done
    t0=$(ticks "$ppid")
    while ! grep -q "END $dir" "$log"; do kill -0 $q 2>/dev/null || break 2; sleep 0.1; done
    t1=$(ticks "$ppid")
    set -- $(grep "RESULT $dir" "$log" | head -1)
    amount=${3:-0}; unit=${4:-MBytes}; rate=${5:-0}
    gib=$(awk -v a="$amount" -v u="$unit" 'BEGIN { m = (u ~ /^G/) ? 1024 : (u ~ /^K/) ? 1/1024 : 1; print a * m / 1024 }')
    cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v g="$gib" 'BEGIN { if (g > 0) printf "%.2f", t / hz / g; else print "-" }')
    dirname=guest-to-host; [ $dir = down ] && dirname=host-to-guest
    printf "%-22s %-14s %10s Mbit/s %10s CPU-s/GiB\n" "$name" "$dirname" "$rate" "$cpu"
  done
  wait $q 2>/dev/null || true
}

printf "%-22s %-14s %17s %20s\n" "proxy" "direction" "throughput" "proxy CPU per GiB"
# Sluice vhost-user
sock=$work/sluice-vu.sock
ip netns exec "$h" "$sluice" --vhost-user -s "$sock" -q &
sp=$!; pids="$pids $sp"
while [ ! -S "$sock" ]; do sleep 0.2; done
jp=$(pgrep -P "$sp" java || echo "$sp")
run "sluice vhost-user" "$jp" -chardev "socket,id=c0,path=$sock" -netdev vhost-user,id=n0,chardev=c0 \
  -device virtio-net-pci,netdev=n0,vectors=0
kill "$sp"; wait "$sp" 2>/dev/null || true
# Sluice stream
sock=$work/sluice-st.sock
ip netns exec "$h" "$sluice" -s "$sock" -q &
sp=$!; pids="$pids $sp"
while [ ! -S "$sock" ]; do sleep 0.2; done
jp=$(pgrep -P "$sp" java || echo "$sp")
run "sluice stream" "$jp" -netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$sock" -device virtio-net-pci,netdev=n0
kill "$sp"; wait "$sp" 2>/dev/null || true
# passt vhost-user
if [ -x "$passt" ]; then
  sock=$work/passt-vu.sock
  ip netns exec "$h" "$passt" --runas 0 -f -q --vhost-user -s "$sock" &
  pp=$!; pids="$pids $pp"
  while [ ! -S "$sock" ]; do sleep 0.2; done
  run "passt vhost-user" "$pp" -chardev "socket,id=c0,path=$sock" -netdev vhost-user,id=n0,chardev=c0 \
    -device virtio-net-pci,netdev=n0,vectors=0
  kill "$pp"; wait "$pp" 2>/dev/null || true
fi
