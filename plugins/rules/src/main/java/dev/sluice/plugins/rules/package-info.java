/**
 * The {@code rules} plugin: firewall-style rules (allow, deny, drop, pass by
 * protocol, destination prefix and port range; first match wins; a default)
 * given inline or in a file that is re-read when it changes.
 *
 * <p>Owns the rule grammar ({@link dev.sluice.plugins.rules.RuleParser}), the
 * compiled, immutable rule set ({@link dev.sluice.plugins.rules.RuleSet}, per
 * protocol and family binary prefix tries whose nodes hold disjoint port
 * segments, so a decision costs at most one walk of the address's bits and a
 * binary search per node, whatever the number of rules) and the file watcher.
 * It does not resolve names, does not look at the source of a flow, and does
 * not own signals (the JVM's SIGHUP belongs to Sluice): a changed file is
 * noticed by a watcher thread.
 */
package dev.sluice.plugins.rules;
