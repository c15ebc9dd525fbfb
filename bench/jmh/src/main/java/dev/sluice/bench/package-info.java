/**
 * JMH micro-benchmarks: the TCP codec and checksum over a 64 KiB segment,
 * building a segment in place, the chain of four bundled plugins deciding a
 * new flow, and the rules plugin with 10 and 10 000 rules. They print
 * figures and assert nothing; CI compiles them, {@code bench/jmh/run.sh} runs
 * them. Not the end-to-end throughput harness ({@code bench/*.sh}).
 */
package dev.sluice.bench;
