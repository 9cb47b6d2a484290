#!/usr/bin/env bash
# make soak, the long fault run: tests/t_faults.sh with 200 trials through the lossy
# proxy and a 30 s partition of a namespaced CURVE worker (FAULT_PARTITION_SECS).
set -euo pipefail
cd "$(dirname "$0")/.."
HPS=${HPS:-$PWD/hps} PROXY_TRIALS=${FAULT_PROXY_TRIALS:-200} \
    PARTITION_SECS=${FAULT_PARTITION_SECS:-30} PART_TRIALS=${FAULT_PART_TRIALS:-200} \
    bash tests/t_faults.sh
