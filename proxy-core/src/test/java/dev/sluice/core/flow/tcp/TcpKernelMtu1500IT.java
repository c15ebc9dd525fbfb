package dev.sluice.core.flow.tcp;

import org.junit.jupiter.api.Tag;

/** {@link TcpKernelIT} at the common Ethernet MTU: many more, smaller segments. */
@Tag("integration")
class TcpKernelMtu1500IT extends TcpKernelIT {
    @Override
    int mtu() {
        return 1500;
    }
}
