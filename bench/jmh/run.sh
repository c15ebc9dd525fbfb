#!/bin/sh
# Runs the JMH micro-benchmarks (bench/jmh) and prints JMH's table; asserts nothing.
# Build first: mvn -B -q package -DskipTests   (gives bench/jmh/target/benchmarks.jar)
#
# Usage: bench/jmh/run.sh [JMH OPTIONS] [BENCHMARK REGEX]
#   bench/jmh/run.sh                        every benchmark, the annotations' settings
#   bench/jmh/run.sh -prof gc Rules         the rules plugin, with allocation per operation
#   bench/jmh/run.sh -wi 2 -i 3 -r 1s Chain a quicker, noisier run
# The chain benchmark's host=kernel case sends netlink route requests to the
# kernel (no packets leave the machine). JMH's own options: -h.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jar=$here/target/benchmarks.jar
[ -f "$jar" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 1; }
exec java -jar "$jar" "$@"
