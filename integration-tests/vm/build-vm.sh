#!/bin/sh
# Builds the test VM: Debian's kernel (downloaded with apt-get, unpacked, never
# installed) and a busybox initramfs with the virtio-net modules, iperf3 and an
# /init that gives a command shell on the second serial port (ttyS1) once eth0
# is up. Output, reused while present (delete the directory to rebuild):
#   OUT/vmlinuz           the kernel
#   OUT/initramfs.cpio.gz the base initramfs
#   OUT/kernel-version    e.g. 6.1.0-57-amd64
# Usage: build-vm.sh OUT
set -eu
OUT=${1:?usage: build-vm.sh OUT}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ]; then
    exit 0
fi
WORK="$OUT/work"
rm -rf "$WORK"
mkdir -p "$WORK/dl" "$WORK/root"

# The kernel: linux-image-amd64 is a metapackage depending on the real one.
PKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$PKG" ] || { echo "build-vm.sh: cannot find linux-image-amd64's kernel package" >&2; exit 1; }
(cd "$WORK/dl" && apt-get download "$PKG" >/dev/null 2>&1) || (cd "$WORK/dl" && apt-get update -qq && apt-get download "$PKG")
dpkg-deb -x "$WORK"/dl/*.deb "$WORK/kernel"
KVER=$(ls "$WORK/kernel/lib/modules" | head -1)
CONFIG="$WORK/kernel/boot/config-$KVER"

R="$WORK/root"
mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/lib/modules" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" \
    "$R/etc" "$R/root" "$R/var/run" "$R/run"
cp /bin/busybox "$R/bin/busybox"
# Modules, in load order, where the kernel has them as modules (=m); built-in (=y) ones need nothing.
MODS=""
# (modinfo's depends=: virtio needs virtio_ring, both built under CONFIG_VIRTIO; virtio_net needs net_failover, which needs failover.)
for m in VIRTIO:virtio_ring VIRTIO:virtio VIRTIO_PCI_LIB:virtio_pci_modern_dev \
         VIRTIO_PCI_LIB_LEGACY:virtio_pci_legacy_dev VIRTIO_PCI:virtio_pci FAILOVER:failover \
         NET_FAILOVER:net_failover VIRTIO_NET:virtio_net; do
    opt=${m%%:*}
    name=${m#*:}
    if grep -q "^CONFIG_$opt=m" "$CONFIG"; then
        f=$(find "$WORK/kernel/lib/modules/$KVER" -name "$name.ko*" | head -1)
        [ -n "$f" ] || { echo "build-vm.sh: module $name not found" >&2; exit 1; }
        case "$f" in
            *.ko.xz) xz -dc "$f" > "$R/lib/modules/$name.ko" ;;
            *.ko.zst) zstd -qdc "$f" > "$R/lib/modules/$name.ko" ;;
            *) cp "$f" "$R/lib/modules/$name.ko" ;;
        esac
        MODS="$MODS $name"
    fi
done
# iperf3 (benchmarks) and socat (UDP checks: busybox nc has no UDP) with the libraries they link.
for tool in iperf3 socat; do
    BIN=$(command -v "$tool") || { echo "build-vm.sh: $tool is not installed" >&2; exit 1; }
    cp "$BIN" "$R/usr/bin/$tool"
    for lib in $(ldd "$BIN" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
        mkdir -p "$R$(dirname "$lib")"
        cp -L "$lib" "$R$lib"
    done
done
echo "127.0.0.1 localhost" > "$R/etc/hosts"

cat > "$R/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $MODS; do insmod /lib/modules/\$m.ko || echo "VM: insmod \$m failed"; done
ip link set lo up
# ttyS1: the harness's command channel; raw, no echo, so what it reads is only output.
# Held open from here on: a closed serial port drops what arrives.
exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 115200
echo "VM: init ready" > /dev/ttyS0
[ -x /check.sh ] && /check.sh > /dev/ttyS0 2>&1
# Through a pipe, so the shell is not interactive: no prompt, no line editing echoing input.
exec sh -c 'cat /dev/ttyS1 | sh >/dev/ttyS1 2>&1'
INIT
chmod +x "$R/init"
cat > "$R/udhcpc.script" <<'UDHCPC'
#!/bin/sh
# udhcpc hook: configure what the server announced, and record it for the harness.
case "$1" in
bound|renew)
    ip addr flush dev "$interface" scope global
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    for r in $router; do ip route add default via "$r" dev "$interface"; done
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "lease ip=$ip mask=$mask router=$router dns=$dns mtu=$mtu" > /tmp/lease
    ;;
esac
UDHCPC
chmod +x "$R/udhcpc.script"

(cd "$R" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$OUT/initramfs.cpio.gz.tmp"
# Zero padding to a 512-byte boundary, so a test may append an archive of its own
# (e.g. with /check.sh): the kernel skips zeros between concatenated archives.
size=$(wc -c < "$OUT/initramfs.cpio.gz.tmp")
pad=$(( (512 - size % 512) % 512 ))
[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero >> "$OUT/initramfs.cpio.gz.tmp"
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
echo "$KVER" > "$OUT/kernel-version"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
rm -rf "$WORK"
