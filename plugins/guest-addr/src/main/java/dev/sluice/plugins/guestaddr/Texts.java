package dev.sluice.plugins.guestaddr;

/** Address text for log lines and reasons, never resolving names. */
final class Texts {
    private Texts() {
    }

    /** RFC 5952 text of the IPv6 address {@code hi:lo} ({@code fd77::1}): the longest run of zero words becomes {@code ::}. */
    static String ipv6(long hi, long lo) {
        int[] w = new int[8];
        for (int i = 0; i < 4; i++) {
            w[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            w[4 + i] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        int bestStart = -1;
        int bestLen = 1; // a single zero word is not compressed
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLen) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(w[i]));
        }
        return sb.toString();
    }
}
