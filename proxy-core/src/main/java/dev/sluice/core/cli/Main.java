package dev.sluice.core.cli;

/** Entry point of {@code bin/sluice}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(SluiceCommand.run(args));
    }
}
