#!/bin/sh
# Soak: rounds of parallel 8 MiB downloads and uploads between the guest
# namespace and the lan's servers (IPv4 and IPv6 at once; Java sockets opened
# in those namespaces, see it/impair/Transfers) through ImpairRelay (loss,
# duplication, reordering, delay, both ways, seeded) and Sluice in stream mode;
# every sha256 must match and no flow may remain (budgets = live flows).
# Runs integration-tests' dev.sluice.it.impair.ImpairedTransfersSoak; prints
# per round the transfers that matched, per-transfer and aggregate MB/s, the
# relay's and Sluice's TCP counters. Each round is bounded by SECONDS_PER_ROUND.
# Needs root; run from a built tree (`mvn -B -q package -DskipTests`).
#
# Usage: bench/soak-impaired.sh [PARALLEL] [ROUNDS] [LOSS_PPM] [SECONDS_PER_ROUND]
#        (defaults 50 1 50000 600; PARALLEL is per direction and family)
# Environment: DUP_PPM (10000), REORDER_PPM (200000), REORDER_US (3000),
#        DELAY_US (0), FAMILIES ("4,6"), SEED (9)
set -eu
par=${1:-50}
rounds=${2:-1}
loss=${3:-50000}
secs=${4:-600}
here=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp /tmp/sluice-soak.XXXXXX)
cd "$here"
echo "soak: $par parallel per direction and family, $rounds round(s), loss ${loss} ppm, ${secs} s per round; log $log"
set +e
mvn -B -o -pl integration-tests -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=ImpairedTransfersSoak -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dsluice.impair.parallel="$par" -Dsluice.impair.rounds="$rounds" -Dsluice.impair.lossPpm="$loss" \
  -Dsluice.impair.timeout="$secs" -Dsluice.impair.dupPpm="${DUP_PPM:-10000}" \
  -Dsluice.impair.reorderPpm="${REORDER_PPM:-200000}" -Dsluice.impair.reorderMicros="${REORDER_US:-3000}" \
  -Dsluice.impair.delayMicros="${DELAY_US:-0}" -Dsluice.impair.families="${FAMILIES:-4,6}" \
  -Dsluice.impair.seed="${SEED:-9}" >"$log" 2>&1
rc=$?
set -e
grep -E '^impair: |transfers wrong or failed|flows did not drain|budget = ' "$log" | head -40
echo "soak: maven exit $rc"
exit $rc
