package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Without root: path rules and the thread hand-off (negative fd = no setns). NetnsIT covers setns. */
class NetnsTest {

    @Test
    void namesAndPaths() {
        assertEquals("/run/netns/sluice-g", Netns.pathFor("sluice-g"));
        assertEquals("/proc/1/ns/net", Netns.pathFor("/proc/1/ns/net"));
        assertEquals("./here", Netns.pathFor("./here"));
        assertThrows(IllegalArgumentException.class, () -> Netns.pathFor(""));
        assertThrows(IllegalArgumentException.class, () -> Netns.pathFor(".."));
    }

    @Test
    void openMissingNamespaceFails() {
        IOException e = assertThrows(IOException.class, () -> Netns.open("sluice-no-such-ns-" + System.nanoTime()));
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void bodyRunsOnAnotherThreadAndItsResultComesBack() throws Exception {
        Thread caller = Thread.currentThread();
        Thread ran = Netns.callIn(-1, Thread::currentThread);
        assertNotSame(caller, ran);
        assertTrue(ran.getName().startsWith("sluice-netns-"));
        assertEquals(42, Netns.callIn(-1, () -> 42));
    }

    @Test
    void exceptionsAndErrorsPropagateUnchanged() {
        IOException io = new IOException("boom");
        assertSame(io, assertThrows(IOException.class, () -> Netns.callIn(-1, () -> {
            throw io;
        })));
        AssertionError err = new AssertionError("bad");
        assertSame(err, assertThrows(AssertionError.class, () -> Netns.callIn(-1, () -> {
            throw err;
        })));
    }

    @Test
    void setnsOnSomethingThatIsNotANamespaceFails() throws Exception {
        int fd = Netns.open("/proc/self/status");
        try {
            IOException e = assertThrows(IOException.class, () -> Netns.callIn(fd, () -> 1));
            assertTrue(e.getMessage().startsWith("setns"), e.getMessage());
        } finally {
            Fds.close(fd);
        }
    }
}
