package dev.sluice.core.cli;

/** Placeholder while the CLI is written. */
final class SluiceCommand {
    static int run(String[] args) {
        return 0;
    }
}
