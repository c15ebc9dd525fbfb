package dev.sluice.core.host;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rootless helper's requests and the namespace natives, in this process's own namespaces. */
class NsAgentTest {
    @Test
    void socketRequestsMakeSocketsOfTheAskedKind() throws Exception {
        for (String[] req : new String[][] {{"socket", "4", "tcp"}, {"socket", "6", "udp"}}) {
            int fd = NsAgent.serve(req);
            try {
                assertTrue(fd > 2, "an fd: " + fd);
                String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
                assertTrue(link.startsWith("socket:["), link);
            } finally {
                Fds.close(fd);
            }
        }
    }

    @Test
    void anUnknownRequestIsRefusedByName() {
        IOException e = assertThrows(IOException.class, () -> NsAgent.serve(new String[] {"frobnicate"}));
        assertEquals("unknown request 'frobnicate'", e.getMessage());
    }

    @Test
    void aRefusedTunSaysItsModeAndOtherErrorsPassThrough() {
        IOException denied = new IOException("open /dev/net/tun: EACCES (Permission denied)");
        String m = NsAgent.tunHint(denied).getMessage();
        assertTrue(m.matches("cannot open /dev/net/tun \\(mode 0[0-7]{3}\\): EACCES \\(Permission denied\\); .*0666.*"), m);
        IOException other = new IOException("TUNSETIFF tap0: EBUSY (Device or resource busy)");
        assertSame(other, NsAgent.tunHint(other));
    }

    @Test
    void theOwningUserNamespaceOfOurOwnNetworkNamespaceIsOurs() throws Exception {
        int ns = Netns.open("/proc/self/ns/net");
        try {
            assertTrue(Netns.canEnter(ns) == isRoot(), "only a privileged process enters a namespace");
            int user = Netns.owningUserns(ns);
            try {
                String owner = Files.readSymbolicLink(Path.of("/proc/self/fd/" + user)).toString();
                assertEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString(), owner);
            } finally {
                Fds.close(user);
            }
        } finally {
            Fds.close(ns);
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .anyMatch(l -> l.startsWith("CapEff:") && (Long.parseLong(l.split("\\s+")[1], 16) & (1L << 21)) != 0);
    }
}
