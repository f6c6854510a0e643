#!/usr/bin/env bash
# Idle memory of the operator binary alone (issue 7): starts the scale harness's embedded API server
# (`Flagger.Scale --serve-only`), runs `flagger.dll -kubeconfig … -port 0` against it with no canaries, waits,
# and prints VmHWM (peak RSS) and VmRSS from /proc. Extra environment (DOTNET_gcServer=0, …) is passed through.
#
#   bench/operator-rss.sh [OPERATOR_DIR] [SECONDS]
#   OPERATOR_DIR defaults to samples/Flagger.Operator/bin/Release/net10.0, the JIT build (dotnet build -c Release
#   first); a `dotnet publish samples/Flagger.Operator -c Release -o DIR` output is the Native AOT binary as
#   shipped, and is run as ./flagger. SECONDS defaults to 12.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/samples/Flagger.Operator/bin/Release/net10.0}
wait_s=${2:-12}
scale=$root/bench/Flagger.Scale/bin/Release/net10.0/Flagger.Scale.dll
kubeconfig=$(mktemp /tmp/flagger-rss-XXXXXX.yaml)
fifo=$(mktemp -u /tmp/flagger-rss-XXXXXX.fifo)
mkfifo "$fifo"
server=
operator=
cleanup() {
  [ -n "$operator" ] && kill -9 "$operator" 2>/dev/null || true
  exec 3>&- 2>/dev/null || true
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  rm -f "$fifo" "$kubeconfig"
}
trap cleanup EXIT
dotnet "$scale" --serve-only --kubeconfig "$kubeconfig" <"$fifo" >"$kubeconfig.out" &
server=$!
exec 3>"$fifo" # keeps the server's stdin open until we are done
for _ in $(seq 100); do grep -q ready "$kubeconfig.out" 2>/dev/null && break; sleep 0.1; done
rm -f "$kubeconfig.out"
if [ -x "$dir/flagger" ] && [ ! -f "$dir/flagger.dll" ]; then cmd=("$dir/flagger"); else cmd=(dotnet "$dir/flagger.dll"); fi
"${cmd[@]}" -kubeconfig "$kubeconfig" -port 0 -log-level error -mesh-provider istio >/dev/null 2>&1 &
operator=$!
sleep "$wait_s"
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$operator/status")
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$operator/status")
echo "VmHWM_mb=$((hwm / 1024)) VmRSS_mb=$((rss / 1024)) load=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
