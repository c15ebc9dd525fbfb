package dev.sluice.core.flow.fwd;

import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutoForwardsTest {
    private static final String TCP = String.join("\n",
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:4E21 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1",
            "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1",
            "   2: 0100007F:4E21 0100007F:D3A2 01 00000000:00000000 00:00000000 00000000     0        0 3 1",
            "");
    private static final String TCP6 = String.join("\n",
            "  sl  local_address                         remote_address                        st tx_queue rx_queue",
            "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000",
            "");

    @Test
    void onlySocketsInTheAskedStateCount() {
        BitSet listen = AutoForwards.listening(TCP, AutoForwards.TCP_LISTEN);
        assertEquals("{22, 20001}", listen.toString()); // 0x4E21 listening; the established 0x4E21 counts once
        assertEquals("{8080}", AutoForwards.listening(TCP6, AutoForwards.TCP_LISTEN).toString());
        assertTrue(AutoForwards.listening(TCP, AutoForwards.UDP_UNCONNECTED).isEmpty());
        assertTrue(AutoForwards.listening("", AutoForwards.TCP_LISTEN).isEmpty());
    }

    @Test
    void autoStandsAlone() {
        assertSame(PortSpec.AUTO, PortSpec.parse("auto"));
        assertTrue(PortSpec.AUTO.isAuto() && !PortSpec.AUTO.isAll() && !PortSpec.AUTO.isNone());
        assertEquals(0, PortSpec.AUTO.hostPorts().length);
    }
}
