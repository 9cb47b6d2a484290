#!/usr/bin/env bash
# Installs the Debian packages hps builds and tests with; does nothing when they are present.
# Usage: scripts/deps.sh [--bench|--fuzz|--slurm]   (--bench adds the Python peers used
# by `make bench`, --fuzz clang and libFuzzer for `make fuzz`, --slurm Slurm and MUNGE
# for `make check-slurm`, whose daemons the test starts itself)
set -euo pipefail
pkgs=(build-essential pkg-config libzmq3-dev libczmq-dev libmsgpack-dev libsqlite3-dev
      libopenblas-dev libyaml-dev libxgboost-dev libcsv-dev libsodium-dev liblbfgs-dev iproute2
      python3
      procps    # ps, pgrep, pkill: t_stale_tell freezes a trial process with them
      sqlite3   # the sqlite3 shell: bench/scale.sh (t_scale) edits a study file with it
      python3-optuna  # t_optuna: an exported study opened by Optuna itself, and imported back
      chromium  # t_report: the HTML report rendered headless and its plots checked
      openssh-server openssh-client  # t_cluster_ssh: hps cluster up/down against sshd
      python3-kubernetes  # t_k8s_manifests: deploy/k8s checked against the API schema
      python3-torch)  # t_transformer: model=transformer trains a tiny encoder (38 MB download)
# The test suite compares against Optuna/scikit-learn/xgboost reference values computed
# once and committed as fixtures, but a few tests cross-check live when the peers exist.
peers=(python3-sklearn python3-xgboost python3-numpy) # python3-optuna: above
case "${1:-}" in
    "") ;;
    --bench) pkgs+=("${peers[@]}") ;;
    --fuzz) pkgs+=(clang libfuzzer-14-dev) ;;
    --slurm) pkgs+=(slurm-wlm munge) ;;
    *) echo "usage: scripts/deps.sh [--bench|--fuzz|--slurm]" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]} (once; about a minute)" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        echo "deps.sh: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2
        exit 1
    }
    sudo=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq ||
   ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "deps.sh: installing failed; by hand: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
