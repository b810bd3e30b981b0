#!/usr/bin/env bash
# What one oversized HTTP answer costs (issue 10, defect 12): a loopback server answers every request with
# 800 MB, once announced by Content-Length and once not (the body ends at close). Prints the peak RSS, CPU
# and wall time of `spoor ingest --rpc` against it (the RPC cap is 256 MiB per answer) next to curl's with the
# same cap (`--max-filesize`, which like Spoor stops at the cap when the length is not announced).
# Release build. Needs python3 and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/release-bin.sh
spoor="$(release_bin spoor)/spoor"
work="${TMPDIR:-/tmp}/spoor-http-answer-$$"
mkdir -p "$work"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/server.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def answer(self):
        n = int(self.headers.get('Content-Length', 0)); self.rfile.read(n)
        self.send_response(200)
        if self.path == '/announced': self.send_header('Content-Length', str(800 << 20))
        self.end_headers()
        chunk = b'a' * (1 << 20)
        try:
            for _ in range(800): self.wfile.write(chunk)
        except Exception: pass
    do_GET = do_POST = answer
    def log_message(self, *a): pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
print(server.server_port, flush=True)
server.serve_forever()
PY
python3 "$work/server.py" > "$work/port" &
server=$!
while [ ! -s "$work/port" ]; do sleep 0.05; done
port=$(cat "$work/port")
export SPOOR_RPC_PASSWORD=x
printf '%-12s %-34s %10s %8s %8s  %s\n' answer program "peak RSS" "CPU s" "wall s" outcome
for path in announced unannounced; do
  /usr/bin/time -f '%M %U %S %e' -o "$work/t" "$spoor" ingest --rpc "http://127.0.0.1:$port/$path" \
    --rpc-user bench --db "$work/case-$path.sqlite" --quiet > /dev/null 2> "$work/err" || true
  read -r rss user sys wall < <(tail -n 1 "$work/t")
  printf '%-12s %-34s %7d KB %8.2f %8.2f  %s\n' "$path" "spoor ingest --rpc (256 MiB cap)" "$rss" \
    "$(echo "$user + $sys" | bc)" "$wall" "$(grep -o 'larger than the [0-9]* MiB' "$work/err" || echo 'no error!')"
  /usr/bin/time -f '%M %U %S %e' -o "$work/t" curl -s --max-filesize $((256 << 20)) -o /dev/null \
    "http://127.0.0.1:$port/$path" || true
  read -r rss user sys wall < <(tail -n 1 "$work/t")
  printf '%-12s %-34s %7d KB %8.2f %8.2f\n' "$path" "curl --max-filesize 256 MiB" "$rss" "$(echo "$user + $sys" | bc)" "$wall"
done
