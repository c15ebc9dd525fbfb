/**
 * Build-time tools of the distribution, run by exec-maven-plugin while the
 * tree is assembled: {@link dev.sluice.dist.BundlePlugins} picks the bundled
 * plugin jars ({@code -Dsluice.plugins}), {@link dev.sluice.dist.GenerateDocs}
 * writes the man page ({@link dev.sluice.dist.ManPage}, roff straight from the
 * picocli model) and the bash completion. Nothing here ships: the tree's
 * {@code lib/} holds only proxy-core and its runtime dependencies.
 */
package dev.sluice.dist;
