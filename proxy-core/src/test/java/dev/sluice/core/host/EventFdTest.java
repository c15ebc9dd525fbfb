package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class EventFdTest {
    @Test
    void signalsAddUpAndADrainResets() throws IOException {
        try (EventFd e = EventFd.open()) {
            assertEquals(0, e.drain());
            e.signal();
            e.signal();
            assertEquals(2, e.drain());
            assertEquals(0, e.drain());
        }
    }

    @Test
    void anAdoptedDescriptorSeesTheSameCounter() throws IOException {
        try (EventFd a = EventFd.open()) {
            int dup = FdPassingTest.dup(a.fd());
            try (EventFd b = EventFd.adopt(dup)) {
                a.signal();
                assertEquals(1, b.drain());
            }
        }
    }
}
