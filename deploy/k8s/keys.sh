#!/bin/sh
# CURVE keys for the Kubernetes manifests: `hps keygen` makes a key pair for the
# coordinator, the workers and a client (the submit Job) in deploy/k8s/keys/, and
# deploy/k8s/secrets.yaml holds them as the Secrets the manifests mount. Never
# overwrites: new keys would lock out the workers that run with the old ones.
# Usage: deploy/k8s/keys.sh [OUT-DIR]   (HPS=path/to/hps if hps is not on PATH)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
hps=${HPS:-hps}
keys=$out/keys
if [ -e "$out/secrets.yaml" ] || [ -e "$keys" ]; then
    echo "keys.sh: $out/secrets.yaml or $keys exists; remove both to make new keys" >&2
    exit 1
fi
umask 077
mkdir -p "$keys"
for n in coord worker client; do "$hps" keygen -o "$keys" --name "$n" >/dev/null; done
# secret NAME FILE...: one Secret holding the files of $keys, base64 as the API wants
secret() {
    printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n' "$1"
    printf '  labels:\n    app.kubernetes.io/name: hps\ntype: Opaque\ndata:\n'
    shift
    for f; do printf '  %s: %s\n' "$f" "$(base64 -w0 "$keys/$f")"; done
}
{
    echo "# made by deploy/k8s/keys.sh: CURVE keys for the hps manifests (keep private)"
    secret hps-coordinator-key coord.key_secret
    secret hps-allow worker.key client.key      # who may connect
    secret hps-submitters client.key            # who may submit and stop studies
    secret hps-worker-key worker.key_secret coord.key
    secret hps-client-key client.key_secret coord.key
} >"$out/secrets.yaml"
echo "keys in $keys, Secrets in $out/secrets.yaml"
