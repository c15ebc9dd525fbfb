package dev.sluice.core;

/** Interim: the runtime is wired once the host view and the L2 services land. */
public final class Sluice {
    private Sluice() {
    }

    public static int runUntilStopped(RunConfig rc) {
        System.err.println("sluice: the runtime is not wired yet");
        return 1;
    }
}
