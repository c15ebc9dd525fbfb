#!/bin/sh
# Soak: parallel 8 MiB transfers (curl downloads from the lan's web server,
# socat uploads to a hashing server there; IPv4 and IPv6 at once) through
# ImpairRelay (loss, 1% duplication, 20% reordered up to 3 ms, both ways,
# seeded) and Sluice in stream mode; every sha256 must match and no flow may
# remain. Runs integration-tests' dev.sluice.it.impair.ImpairedTransfersSoak;
# prints per round the transfers that matched and the relay's counters.
# Needs root; run after `mvn -B -q package -DskipTests`.
#
# Usage: bench/soak-impaired.sh [PARALLEL] [ROUNDS] [LOSS_PPM] [SECONDS_PER_ROUND]
#        (defaults 50 1 50000 600; PARALLEL is per direction and family)
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
  -Dsluice.impair.timeout="$secs" >"$log" 2>&1
rc=$?
set -e
grep -E '^impair: |transfers wrong or failed|to-sluice:|flows left' "$log" | sort -u | head -20
echo "soak: maven exit $rc"
exit $rc
