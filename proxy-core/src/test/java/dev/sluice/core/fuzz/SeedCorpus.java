package dev.sluice.core.fuzz;

import dev.sluice.core.testing.Pcap;
import dev.sluice.core.testing.TestContexts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the seed inputs of {@link ReceivePathFuzzTest} from the kernel
 * captures under {@code frames/}: the guest's frames of each capture, once
 * straight to the dispatcher and once through the stream framing in small
 * reads. The TCP captures' peer (10.77.0.2, fd77::2, its MAC) becomes
 * Sluice's gateway and their server ports the harness's echo port, so the
 * seeds open flows the gate admits. Run once by hand (output committed):
 * {@code java -cp <test classpath> dev.sluice.core.fuzz.SeedCorpus <dir>}.
 */
public final class SeedCorpus {
    private static final String[] CAPTURES = {
        "arp", "dhcp4-dhclient", "dhcp4-udhcpc", "dhcp6-dhclient", "l4", "ndp-linkup", "ndp",
        "icmp/echo4", "icmp/echo6", "icmp/port-unreach4", "icmp/port-unreach6",
        "tcp/linux-v4", "tcp/linux-v6", "tcp/linux-v4-abort",
    };
    private static final long PEER_MAC = 0x2240229bcf7bL; // the TCP captures' server side

    private SeedCorpus() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (String c : CAPTURES) {
            List<byte[]> frames = new ArrayList<>();
            for (byte[] f : Pcap.frames("frames/" + c + ".pcap")) {
                long src = mac(f, 6);
                if (src != TestContexts.OUR_MAC && src != PEER_MAC) {
                    frames.add(rewrite(f));
                }
            }
            String name = c.replace('/', '-');
            write(dir.resolve(name + "-direct"), Inputs.encode(Inputs.FIX_CHECKSUMS, 0, frames));
            write(dir.resolve(name + "-stream"), Inputs.encode(Inputs.FIX_CHECKSUMS | Inputs.STREAM, 3, frames));
        }
        // Findings, as regression entries. GuestState grew by one address per spoofed source (fixed: bounded).
        List<byte[]> spoofed = new ArrayList<>();
        byte[] udp = rewrite(Pcap.first("frames/l4.pcap", f -> mac(f, 6) == TestContexts.GUEST_MAC
                && f[12] == 8 && f[13] == 0 && f[23] == 17));
        for (int i = 0; i < 100; i++) {
            byte[] f = udp.clone();
            f[26] = 10;
            f[27] = 77;
            f[28] = (byte) (1 + i / 200);
            f[29] = (byte) (1 + i % 200);
            spoofed.add(f);
        }
        write(dir.resolve("regress-seen-addresses"), Inputs.encode(Inputs.FIX_CHECKSUMS, 0, spoofed));
        // The stream framing's edges: a zero length, an oversized one, one past any Ethernet frame.
        write(dir.resolve("stream-lengths"), new byte[] {
            (byte) (Inputs.STREAM | Inputs.RAW_STREAM), 0,
            0, 0, 0, 0,
            0, 0, 0x40, 0, 1, 2, 3,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 9, 9});
    }

    private static void write(Path p, byte[] b) throws IOException {
        Files.write(p, b);
    }

    private static byte[] rewrite(byte[] in) {
        byte[] f = in.clone();
        if (mac(f, 0) == PEER_MAC) {
            putMac(f, 0, TestContexts.OUR_MAC);
        }
        putMac(f, 6, TestContexts.GUEST_MAC);
        int type = ((f[12] & 0xff) << 8) | (f[13] & 0xff);
        int l4 = -1;
        int proto = -1;
        if (type == 0x0800 && f.length >= 34) {
            if ((f[30] & 0xff) == 10 && (f[31] & 0xff) == 77 && f[32] == 0 && f[33] == 2) {
                f[33] = (byte) 254;
            }
            l4 = 14 + (f[14] & 0x0f) * 4;
            proto = f[23] & 0xff;
        } else if (type == 0x86dd && f.length >= 54) {
            if (f[38 + 15] == 2 && (f[38] & 0xff) == 0xfd && f[39] == 0x77) {
                f[38 + 15] = (byte) 0xfe;
            }
            l4 = 54;
            proto = f[20] & 0xff;
        }
        if ((proto == 6 || proto == 17) && l4 + 4 <= f.length) {
            int dport = ((f[l4 + 2] & 0xff) << 8) | (f[l4 + 3] & 0xff);
            if (dport == 5001 || dport == 5353 || dport == 7) {
                f[l4 + 2] = (byte) (ReceivePath.SERVICE_PORT >>> 8);
                f[l4 + 3] = (byte) ReceivePath.SERVICE_PORT;
            }
        }
        return f;
    }

    private static long mac(byte[] f, int off) {
        long m = 0;
        for (int i = 0; i < 6; i++) {
            m = (m << 8) | (f[off + i] & 0xff);
        }
        return m;
    }

    private static void putMac(byte[] f, int off, long m) {
        for (int i = 5; i >= 0; i--) {
            f[off + i] = (byte) m;
            m >>>= 8;
        }
    }
}
