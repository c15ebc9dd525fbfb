package dev.sluice.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Test data files and their digests. */
public final class Files2 {
    private Files2() {
    }

    /** A file of {@code size} pseudo-random bytes (seeded: reproducible). */
    public static Path random(Path dir, String name, long size, long seed) throws IOException {
        Path p = dir.resolve(name);
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(p)) {
            long left = size;
            while (left > 0) {
                for (int i = 0; i < buf.length; i += 8) {
                    long v = r.nextLong();
                    for (int j = 0; j < 8; j++) {
                        buf[i + j] = (byte) (v >>> (8 * j));
                    }
                }
                int n = (int) Math.min(left, buf.length);
                out.write(buf, 0, n);
                left -= n;
            }
        }
        return p;
    }

    public static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
