#!/bin/sh
# Fuzzes Sluice's receive path (stream framing -> wire codecs -> L2 services ->
# flow tables; proxy-core's dev.sluice.core.fuzz.ReceivePathFuzzTest) with
# Jazzer, coverage-guided, in a JVM of its own with netty's leak detector at
# paranoid. Bounded by input count and by time, whichever comes first; prints
# what ran and what was found. Exit 0 only when nothing was found.
#
# The harness checks after every input: no exception escaped, netty logged no
# task/handler exception and no LEAK, flows and budget within their bound,
# GuestState's address list bounded; every 4096 inputs and at the end a link
# reset must leave no flow and no budget slot. Host sockets go to loopback only.
# Jazzer writes a finding as crash-* straight into the regression corpus,
# proxy-core/src/test/resources/dev/sluice/core/fuzz/ReceivePathFuzzTestInputs/receivePath/,
# which `mvn verify` replays. The generated corpus stays in proxy-core/.cifuzz-corpus
# (not committed) and is reused by the next run.
#
# Leak detection: paranoid (every buffer tracked) with targetRecords=0, so a
# buffer records where it was allocated but not every access (a stack trace
# per access would cut the rate tenfold); a LEAK line fails the run.
#
# Usage: bench/fuzz.sh [RUNS] [MAX_SECONDS]   (defaults 10000000, 5400)
set -eu
runs=${1:-10000000}
secs=${2:-5400}
here=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp /tmp/sluice-fuzz.XXXXXX)
corpus=$here/proxy-core/src/test/resources/dev/sluice/core/fuzz/ReceivePathFuzzTestInputs/receivePath
cd "$here"
before=$(ls "$corpus" | grep -c '^crash-' || true)
echo "fuzz: up to $runs inputs or $secs s; log $log"
start=$(date +%s)
set +e
JAZZER_FUZZ=1 mvn -B -o -q -pl proxy-core -am test \
  -Dtest=ReceivePathFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.internal.arg.0=fuzz \
  -Djazzer.internal.arg.1=-runs="$runs" \
  -Djazzer.internal.arg.2=-max_total_time="$secs" \
  -Djazzer.internal.arg.3=-print_final_stats=1 \
  -DargLine="-Dio.netty.leakDetection.level=paranoid -Dio.netty.leakDetection.targetRecords=0 -Dsluice.fuzz.reportEvery=500000 -Xmx768m -Dorg.slf4j.simpleLogger.defaultLogLevel=error" \
  >"$log" 2>&1
rc=$?
set -e
end=$(date +%s)
grep -E '^fuzz: ' "$log" || true
grep -E 'Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb' "$log" | sed 's/^/libFuzzer: /' || true
leaks=$(grep -c 'LEAK' "$log" || true)
crashes=$(( $(ls "$corpus" | grep -c '^crash-' || true) - before ))
echo "fuzz: $((end - start)) s wall, maven exit $rc, LEAK lines $leaks, new findings $crashes"
grep -E '^== Java Exception|FuzzTestFindingException|AssertionFailedError' "$log" | head -5 || true
[ "$rc" -eq 0 ] && [ "$leaks" -eq 0 ] && [ "$crashes" -eq 0 ]
