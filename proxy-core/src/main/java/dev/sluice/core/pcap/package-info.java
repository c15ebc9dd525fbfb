/**
 * The {@code --pcap} capture file. Owns only the file format; the links
 * decide which frames are recorded (all of them, both directions).
 */
package dev.sluice.core.pcap;
