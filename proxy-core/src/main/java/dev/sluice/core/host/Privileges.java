package dev.sluice.core.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The process's user and group: resolving {@code --runas UID|USER[:GID|GROUP]}
 * (through libc, so NSS users count), switching to it, and reading back what
 * every thread has.
 *
 * <p>The switch is {@code setgroups(0)}, {@code setresgid}, {@code setresuid}
 * through glibc, which applies each to every thread of the process (its
 * "setxid" signal broadcast): a JVM's threads cannot be left behind, and
 * {@link #threadsNotAt} checks it anyway from {@code /proc/self/task}. Leaving
 * uid 0 for another uid in all three of real, effective and saved clears the
 * permitted and effective capability sets (no keep-caps), so nothing is kept.
 */
public final class Privileges {
    /** passt's fallback when there is no user named nobody. */
    public static final int NOBODY = 65534;

    private Privileges() {
    }

    /** A user and group to run as. */
    public record Ids(int uid, int gid) {
        public boolean root() {
            return uid == 0;
        }
    }

    /**
     * Parses {@code --runas}: {@code UID}, {@code USER}, {@code UID:GID}, {@code USER:GROUP}; a user
     * alone gets its primary group (a numeric uid with no passwd entry: gid = uid, as passt does).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Ids parseRunAs(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty user");
        }
        int colon = spec.indexOf(':');
        String user = colon >= 0 ? spec.substring(0, colon) : spec;
        String group = colon >= 0 ? spec.substring(colon + 1) : null;
        if (user.isEmpty() || (group != null && group.isEmpty())) {
            throw new IllegalArgumentException("'" + spec + "' is not UID|USER[:GID|GROUP]");
        }
        int uid;
        int primaryGid;
        Integer n = number(user);
        if (n != null) {
            uid = n;
            long pw = Native.LIBC.getpwuid(uid);
            primaryGid = pw != 0 ? Native.peekInt(pw + 20) : uid;
        } else {
            long pw = Native.LIBC.getpwnam(Native.address(Native.cString(user)));
            if (pw == 0) {
                throw new IllegalArgumentException("no user named '" + user + "'");
            }
            uid = Native.peekInt(pw + 16);
            primaryGid = Native.peekInt(pw + 20);
        }
        int gid = primaryGid;
        if (group != null) {
            Integer g = number(group);
            if (g != null) {
                gid = g;
            } else {
                long gr = Native.LIBC.getgrnam(Native.address(Native.cString(group)));
                if (gr == 0) {
                    throw new IllegalArgumentException("no group named '" + group + "'");
                }
                gid = Native.peekInt(gr + 16);
            }
        }
        return new Ids(uid, gid);
    }

    /** The user passt drops to when started as root without --runas: nobody, or 65534:65534. */
    public static Ids nobody() {
        long pw = Native.LIBC.getpwnam(Native.address(Native.cString("nobody")));
        return pw != 0 ? new Ids(Native.peekInt(pw + 16), Native.peekInt(pw + 20)) : new Ids(NOBODY, NOBODY);
    }

    private static Integer number(String s) {
        if (!s.matches("[0-9]{1,10}")) {
            return null;
        }
        long v = Long.parseLong(s);
        if (v > 0xfffffffeL) { // (uid_t) -1 means "unchanged" to the kernel
            throw new IllegalArgumentException(s + " is out of range");
        }
        return (int) v;
    }

    /**
     * Whether this process's user namespace is the initial one ({@code /proc/self/uid_map} maps all
     * of 0..2^32-2 to itself). Root in another user namespace is only the mapped user outside, and
     * there may be no nobody to switch to: passt keeps such a root, and so does Sluice.
     */
    public static boolean inInitialUserNamespace() throws IOException {
        return isIdentityMap(Files.readString(Path.of("/proc/self/uid_map"), StandardCharsets.US_ASCII));
    }

    /** Visible for tests. */
    static boolean isIdentityMap(String uidMap) {
        return uidMap.trim().split("\\s+").length == 3
                && uidMap.trim().replaceAll("\\s+", " ").equals("0 0 4294967295");
    }

    /** Effective uid of the calling thread, from /proc (no libc call needed). */
    public static int effectiveUid() throws IOException {
        return ids(Path.of("/proc/thread-self/status"), "Uid:")[1];
    }

    /**
     * Sets the supplementary groups to none, then real/effective/saved gid and uid, on every
     * thread. Needs CAP_SETUID/CAP_SETGID (root).
     */
    public static void switchTo(Ids ids) throws IOException {
        if (Native.LIBC.setgroups(0, 0) != 0) {
            throw Native.failure("setgroups(0)");
        }
        if (Native.LIBC.setresgid(ids.gid(), ids.gid(), ids.gid()) != 0) {
            throw Native.failure("setresgid(" + ids.gid() + ")");
        }
        if (Native.LIBC.setresuid(ids.uid(), ids.uid(), ids.uid()) != 0) {
            throw Native.failure("setresuid(" + ids.uid() + ")");
        }
    }

    /**
     * Threads of this process whose uid or gid lines (real, effective, saved, filesystem) are not
     * all {@code ids}, or whose CapEff/CapPrm are not 0 (when {@code ids} is not root), as
     * "tid: reason"; empty when every thread is where it should be.
     */
    public static List<String> threadsNotAt(Ids ids) throws IOException {
        List<String> bad = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                List<String> lines;
                try {
                    lines = Files.readAllLines(t.resolve("status"), StandardCharsets.US_ASCII);
                } catch (NoSuchFileException e) {
                    continue; // the thread ended meanwhile
                }
                String why = wrong(lines, ids);
                if (why != null) {
                    bad.add(t.getFileName() + ": " + why);
                }
            }
        }
        return bad;
    }

    /** Why a /proc status text does not show {@code ids} (and no capabilities), or null. Visible for tests. */
    static String wrong(List<String> status, Ids ids) {
        for (String l : status) {
            if (l.startsWith("Uid:") && !all(l, ids.uid())) {
                return l.replace('\t', ' ');
            }
            if (l.startsWith("Gid:") && !all(l, ids.gid())) {
                return l.replace('\t', ' ');
            }
            if (!ids.root() && (l.startsWith("CapEff:") || l.startsWith("CapPrm:"))
                    && Long.parseUnsignedLong(l.substring(7).trim(), 16) != 0) {
                return l.replace('\t', ' ');
            }
        }
        return null;
    }

    private static boolean all(String line, int id) {
        for (String f : line.substring(4).trim().split("\\s+")) {
            if (Long.parseLong(f) != (id & 0xffffffffL)) {
                return false;
            }
        }
        return true;
    }

    private static int[] ids(Path status, String key) throws IOException {
        for (String l : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
            if (l.startsWith(key)) {
                String[] f = l.substring(key.length()).trim().split("\\s+");
                int[] out = new int[f.length];
                for (int i = 0; i < f.length; i++) {
                    out[i] = (int) Long.parseLong(f[i]);
                }
                return out;
            }
        }
        throw new IOException("no " + key + " line in " + status);
    }
}
