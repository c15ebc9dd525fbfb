#!/usr/bin/env python3
"""Side-by-side benchmark: Sluice, pasta 2025 (../shared/peers), Debian's pasta and
slirp4netns, each attached in turn to an identical guest namespace, in one run.

Prints one table (median and spread over the repetitions, and each figure's ratio to
pasta 2025 and to slirp4netns) and writes the raw figures as JSON. Asserts nothing.

Needs root, iproute2, iperf3, busybox (udhcpc) and python3; run after `mvn package`.
Traffic stays inside the namespaces this script makes: the guest reaches servers on the
host namespace's loopback through each proxy's host-loopback mapping (Sluice and pasta:
the gateway 10.77.0.254 / fd77::fe; slirp4netns: 10.0.2.2 / fd00::2).

Usage: sudo bench/compare.py [--reps N] [--secs S] [--impl NAME,...] [--what tcp,udp,rr,crr,rss,dhcp]
                             [--fam v4,v6] [--mtu 65520,1500] [--json FILE]
       (SLUICE_PEERS=DIR names the peers' directory when it is not ../shared/peers)
"""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEERS = os.environ.get("SLUICE_PEERS", os.path.join(os.path.dirname(ROOT), "shared", "peers"))
SUF = str(os.getpid())
LAN, H, G = "cl-" + SUF, "ch-" + SUF, "cg-" + SUF


def sh(cmd, check=True, timeout=120):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def topology():
    for ns in (LAN, H, G):
        sh(f"ip netns add {ns} && ip -n {ns} link set lo up")
    os.makedirs(f"/etc/netns/{H}", exist_ok=True)
    with open(f"/etc/netns/{H}/resolv.conf", "w") as f:
        f.write("nameserver 10.99.0.1\n")
    sh(f"ip link add up0 netns {LAN} type veth peer name eth0 netns {H}")
    sh(f"ip -n {LAN} addr add 10.77.0.254/24 dev up0 && ip -n {LAN} addr add fd77::fe/64 dev up0 nodad"
       f" && ip -n {LAN} link set up0 up")
    sh(f"ip -n {H} addr add 10.77.0.1/24 dev eth0 && ip -n {H} addr add fd77::1/64 dev eth0 nodad"
       f" && ip -n {H} link set eth0 up")
    sh(f"ip -n {H} route add default via 10.77.0.254 && ip -n {H} -6 route add default via fd77::fe")


def teardown():
    for ns in (G, H, LAN):
        sh(f"ip netns pids {ns} 2>/dev/null | xargs -r kill -9", check=False)
        sh(f"ip netns del {ns}", check=False)
    shutil.rmtree(f"/etc/netns/{H}", ignore_errors=True)


# --- what runs in h: servers on its loopback -------------------------------------------------
SERVERS = r'''
import socket, sys, threading
def serve(fam, addr, port, mode):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(4096)
    held = []
    while True:
        c, _ = s.accept()
        if mode == "echo":
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=echo, args=(c,), daemon=True).start()
        elif mode == "close":
            c.close()
        else:
            held.append(c)
def echo(c):
    while True:
        b = c.recv(64)
        if not b:
            c.close(); return
        c.sendall(b)
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for port, mode in ((7001, "echo"), (7002, "close"), (7003, "hold")):
        threading.Thread(target=serve, args=(fam, addr, port, mode), daemon=True).start()
threading.Event().wait()
'''

# --- what runs in g: the clients --------------------------------------------------------------
CLIENTS = r'''
import socket, sys, time, json
mode, host, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
if mode == "rr":
    c = socket.create_connection((host, 7001)); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lat = []; end = time.monotonic() + secs
    while time.monotonic() < end and len(lat) < 200000:
        t = time.perf_counter_ns(); c.sendall(b"x"); c.recv(64); lat.append(time.perf_counter_ns() - t)
    lat.sort()
    print(json.dumps({"median_us": lat[len(lat) // 2] / 1e3, "p99_us": lat[int(len(lat) * 0.99)] / 1e3}))
elif mode == "crr":
    n = 0; end = time.monotonic() + secs; t0 = time.monotonic()
    while time.monotonic() < end and n < 1000000:
        c = socket.create_connection((host, 7002)); c.recv(1); c.close(); n += 1
    print(json.dumps({"conn_per_s": n / (time.monotonic() - t0)}))
elif mode == "hold":
    cs = [socket.create_connection((host, 7003)) for _ in range(int(secs))]
    print(json.dumps({"open": len(cs)})); sys.stdout.flush()
    sys.stdin.read()
'''


class Impl:
    def __init__(self, name, argv, gw4, gw6, ready_addr):
        self.name, self.argv, self.gw4, self.gw6, self.ready_addr = name, argv, gw4, gw6, ready_addr
        self.proc = None
        self.t_start = None

    def start(self):
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(["ip", "netns", "exec", H] + self.argv,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            out = sh(f"ip -n {G} addr show tap0 2>/dev/null", check=False)
            if self.ready_addr in out:
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name}: tap0 not configured within 30 s")

    def pid(self):
        """The proxy's own pid (ip netns exec execs it, so it is the Popen's)."""
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        sh(f"ip -n {G} link del tap0 2>/dev/null", check=False)


def impls(selected):
    out = []
    sluice = sorted(glob.glob(os.path.join(ROOT, "distribution/target/sluice-*/bin/sluice")))
    if sluice:
        out.append(Impl("sluice", [sluice[0], "-f", "-q", "--netns", G, "-I", "tap0", "--config-net",
                                   "-t", "none", "-u", "none"], "10.77.0.254", "fd77::fe", "10.77.0.1/"))
    peer = os.path.join(PEERS, "passt")
    if os.path.exists(peer):
        d = tempfile.mkdtemp(prefix="compare-peer-")
        p = os.path.join(d, "pasta")  # passt is pasta by argv[0]
        shutil.copy(peer, p)
        os.chmod(p, 0o755)
        out.append(Impl("pasta2025", [p, "--runas", "0", "-f", "-q", "--config-net", "--netns", f"/run/netns/{G}",
                                      "-I", "tap0", "-t", "none", "-u", "none", "-T", "none", "-U", "none"],
                        "10.77.0.254", "fd77::fe", "10.77.0.1/"))
    if shutil.which("pasta"):
        out.append(Impl("pasta-deb", [shutil.which("pasta"), "--runas", "0", "-f", "-q", "--config-net", "--netns",
                                      f"/run/netns/{G}", "-I", "tap0", "-t", "none", "-u", "none", "-T", "none",
                                      "-U", "none"], "10.77.0.254", "fd77::fe", "10.77.0.1/"))
    if shutil.which("slirp4netns"):
        out.append(Impl("slirp4netns", ["slirp4netns", "--configure", "--mtu=65520", "--enable-ipv6",
                                        "--netns-type=path", f"/run/netns/{G}", "tap0"],
                        "10.0.2.2", "fd00::2", "10.0.2.100/"))
    return [i for i in out if not selected or i.name in selected]


def iperf(host, secs, reverse, udp=False):
    port = 5202 if ":" in host else 5201
    flags = ("-R " if reverse else "") + ("-u -b 10G -l 1400 " if udp else "")
    out = sh(f"ip netns exec {G} iperf3 -c {host} -p {port} -t {secs} -J {flags}", check=False, timeout=secs + 60)
    try:
        j = json.loads(out)
        if udp:
            s = j["end"]["sum"]
            return {"gbit": s["bits_per_second"] / 1e9 * (1 - s.get("lost_percent", 0) / 100),
                    "lost_pct": s.get("lost_percent", 0)}
        return {"gbit": j["end"]["sum_received"]["bits_per_second"] / 1e9}
    except (ValueError, KeyError):
        return None


def client(mode, host, arg):
    out = subprocess.run(["ip", "netns", "exec", G, "python3", "-c", CLIENTS, mode, host, str(arg)],
                         capture_output=True, text=True, timeout=120).stdout
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def rss_kib(pid):
    """RSS of pid and its children (a JVM is one process; pasta too)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def dhcp_time(impl):
    """Seconds from the proxy's start to the guest's first DHCP lease (tap unconfigured)."""
    argv = [a for a in impl.argv if a not in ("--config-net", "--configure")]
    probe = Impl(impl.name, argv, impl.gw4, impl.gw6, "tap0")
    t0 = time.monotonic()
    probe.proc = subprocess.Popen(["ip", "netns", "exec", H] + argv, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
    try:
        deadline = t0 + 30
        while time.monotonic() < deadline and "tap0" not in sh(f"ip -n {G} link show tap0 2>/dev/null", check=False):
            time.sleep(0.01)
        sh(f"ip -n {G} link set tap0 up", check=False)
        r = subprocess.run(["ip", "netns", "exec", G, "busybox", "udhcpc", "-i", "tap0", "-n", "-q", "-f",
                            "-t", "30", "-T", "1", "-A", "1", "-s", "/bin/true"], capture_output=True, timeout=60)
        return time.monotonic() - t0 if r.returncode == 0 else None
    finally:
        probe.stop()


def measure(impl, secs, what, fams, mtus):
    res = {}
    impl.start()
    try:
        time.sleep(1)
        res["rss_idle_kib"] = rss_kib(impl.pid())
        for fam, host in (("v4", impl.gw4), ("v6", impl.gw6)):
            if fam not in fams or "tcp" not in what:
                continue
            for mtu in mtus:
                sh(f"ip -n {G} link set tap0 mtu {mtu}", check=False)
                for d, rev in (("g2h", False), ("h2g", True)):
                    r = iperf(host, secs, rev)
                    res[f"tcp_{d}_{fam}_{mtu}_gbit"] = r["gbit"] if r else None
        sh(f"ip -n {G} link set tap0 mtu 65520", check=False)
        if "udp" in what:
            r = iperf(impl.gw4, secs, False, udp=True)
            res["udp_g2h_v4_gbit"] = r["gbit"] if r else None
            res["udp_g2h_v4_lost_pct"] = r["lost_pct"] if r else None
        if "rr" in what:
            r = client("rr", impl.gw4, secs)
            res["rr_median_us"] = r["median_us"] if r else None
            res["rr_p99_us"] = r["p99_us"] if r else None
        if "crr" in what:
            r = client("crr", impl.gw4, secs)
            res["conn_per_s"] = r["conn_per_s"] if r else None
        if "rss" in what:
            hold = subprocess.Popen(["ip", "netns", "exec", G, "python3", "-c", CLIENTS, "hold", impl.gw4, "1000"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            line = hold.stdout.readline()
            res["rss_1000conn_kib"] = rss_kib(impl.pid()) if '"open": 1000' in line else None
            hold.stdin.close()
            hold.wait(30)
    finally:
        impl.stop()
    if "dhcp" in what:
        res["dhcp_first_reply_s"] = dhcp_time(impl)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--impl", default="", help="comma-separated: sluice,pasta2025,pasta-deb,slirp4netns (default all found)")
    ap.add_argument("--what", default="tcp,udp,rr,crr,rss,dhcp", help="comma-separated subset of the measurements")
    ap.add_argument("--fam", default="v4,v6", help="TCP throughput families: v4, v6 or both")
    ap.add_argument("--mtu", default="65520,1500", help="TCP throughput MTUs")
    ap.add_argument("--json", default=os.path.join(HERE, "results", time.strftime("compare-%Y%m%d-%H%M%S.json")))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("compare.py needs root (it builds network namespaces)")
    chosen = impls([s for s in a.impl.split(",") if s])
    if not chosen:
        sys.exit("nothing to compare: build Sluice first (mvn -B -q package -DskipTests)")
    raw = {i.name: [] for i in chosen}
    srv = None
    try:
        topology()
        for port, addr in ((5201, "127.0.0.1"), (5202, "::1")):
            subprocess.Popen(["ip", "netns", "exec", H, "iperf3", "-s", "-B", addr, "-p", str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        srv = subprocess.Popen(["ip", "netns", "exec", H, "python3", "-c", SERVERS])
        time.sleep(0.5)
        # repetitions interleave the implementations, so drift on a shared machine hits all alike
        for rep in range(a.reps):
            for i in chosen:
                print(f"rep {rep + 1}/{a.reps}: {i.name}", file=sys.stderr)
                raw[i.name].append(measure(i, a.secs, set(a.what.split(",")), set(a.fam.split(",")),
                                           [int(m) for m in a.mtu.split(",")]))
    finally:
        if srv:
            srv.kill()
        teardown()
    report(raw, a)


def report(raw, a):
    keys = sorted({k for runs in raw.values() for r in runs for k in r})
    med = {}
    for name, runs in raw.items():
        med[name] = {}
        for k in keys:
            v = [r[k] for r in runs if r.get(k) is not None]
            med[name][k] = (statistics.median(v), min(v), max(v)) if v else None
    names = list(raw)
    print(f"# {len(next(iter(raw.values())))} repetitions, {a.secs} s each; median [min-max]; "
          "ratios are of medians (x pasta2025 / x slirp4netns)")
    print("| metric | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for k in keys:
        cells = []
        for n in names:
            m = med[n][k]
            if m is None:
                cells.append("-")
                continue
            c = f"{m[0]:.3g} [{m[1]:.3g}-{m[2]:.3g}]"
            for ref in ("pasta2025", "slirp4netns"):
                r = med.get(ref, {}).get(k)
                if n != ref and r and r[0]:
                    c += f" {m[0] / r[0]:.2f}x"
            cells.append(c)
        print(f"| {k} | " + " | ".join(cells) + " |")
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "reps": a.reps, "secs": a.secs,
                   "uname": os.uname().release, "cpus": os.cpu_count(), "runs": raw}, f, indent=1)
    print(f"raw figures: {a.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
