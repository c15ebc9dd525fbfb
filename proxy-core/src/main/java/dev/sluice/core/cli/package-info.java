/**
 * The command line: picocli options with passt's names and meanings, value
 * conversion and validation (a bad value is a one-line error naming the
 * option, exit status 2), logging set-up, and the hand-over of an immutable
 * {@link dev.sluice.core.RunConfig} to the runtime. Nothing here moves packets.
 */
package dev.sluice.core.cli;
