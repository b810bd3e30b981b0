#!/usr/bin/env bash
# Issue 10's defects at the command line: runs each hostile input through one spoor binary and prints, per probe,
# the exit status, CPU seconds, peak RSS and the first lines the command said, plus what the database holds
# afterwards. Run it with a build of the code before the fixes and with main, side by side (results.md,
# "Regression tests against the old code").
#   usage: run.sh SPOOR INPUTS WORK       (INPUTS from make-inputs.py; WORK is emptied)
# Needs sqlite3, and root for the write-protected-media probe (a read-only bind mount).
set -u
S=$1; IN=$2; W=$3
SC=$(cd "$(dirname "$0")/../../../SampleChains/small-seed1" && pwd)
rm -rf "$W"; mkdir -p "$W"
run() {  # run NAME SECONDS COMMAND...: stopped (exit 124, or 137 if SIGTERM did not end it) past SECONDS
  local name=$1 t=$2; shift 2
  /usr/bin/time -f "%U %S %M" -o "$W/$name.time" timeout -k 5 "$t" "$@" > "$W/$name.out" 2> "$W/$name.err"
  local code=$? u s m said
  read -r u s m < <(tail -n 1 "$W/$name.time")
  said=$(cat "$W/$name.err" "$W/$name.out" | grep -av '^\s*$' | head -n 3 | cut -c1-220 | tr '\n' ' ' | tr -d '\033')
  printf '%s\texit %s\tcpu %.1f s\trss %d MB\t%s\n' "$name" "$code" "$(echo "$u + $s" | bc)" "$((m / 1024))" "$said"
}
sql() { sqlite3 "file:$1?immutable=1" "$2" 2>&1 | tr '\n' ' '; }
rss_growth() {  # rss_growth SECONDS COMMAND...: RSS once a second, then kill
  local t=$1; shift
  "$@" > "$W/growth.out" 2>&1 & local p=$! i r
  for i in $(seq 1 "$t"); do
    sleep 1; r=$(awk '/VmRSS/ { print $2 }' /proc/$p/status 2>/dev/null); [ -z "$r" ] && break
    printf '%ss %sMB ' "$i" $((r / 1024))
  done
  kill -9 $p 2>/dev/null; wait $p; echo "exit $? $(head -c 200 "$W/growth.out")"
}

# 1: a mutated block (a copy of the last transaction appended; the merkle root unchanged)
run p1-inspect 60 "$S" inspect block "$IN/p1/mutated413567.raw"
echo "   $(grep -a 'merkle root' "$W/p1-inspect.out")"
run p1-ingest 120 "$S" ingest --quiet --network main --db "$W/p1.sqlite" "$IN/p1/mutated413567.raw"
echo "   p1 tx rows, distinct txids: $(sql "$W/p1.sqlite" 'SELECT COUNT(*), COUNT(DISTINCT txid) FROM tx')"
# 3: one flipped bit in block 155's nonce
run p3-ingest 120 "$S" ingest --quiet --db "$W/p3.sqlite" "$IN/p3"
echo "   p3 blocks stored, highest height: $(sql "$W/p3.sqlite" 'SELECT COUNT(*), MAX(height) FROM block')"
run p3-inspect 60 "$S" inspect blocks "$IN/p3"
# 4: genesis..4 and an unconnected block with more work; genesis..255 with the last record cut short
run p4a-ingest 120 "$S" ingest --quiet --db "$W/p4a.sqlite" "$IN/p4a"
echo "   p4a blocks stored: $(sql "$W/p4a.sqlite" 'SELECT COUNT(*) FROM block')"
run p4b-ingest 120 "$S" ingest --quiet --db "$W/p4b.sqlite" "$IN/p4b"
echo "   p4b blocks stored: $(sql "$W/p4b.sqlite" 'SELECT COUNT(*) FROM block')"
# 5: two byte-identical coinbases (BIP30)
run p5-ingest 60 "$S" ingest --quiet --db "$W/p5.sqlite" "$IN/p5"
run p5-address 60 "$S" address --db "$W/p5.sqlite" "$(cat "$IN/p5/address")"
echo "   p5 $(grep -a '^balance' "$W/p5-address.out")"

# A case for the output and tag probes
run case-ingest 300 "$S" ingest --quiet --db "$W/case.sqlite" "$SC/blocks"
cp "$W/case.sqlite" "$W/case-before.sqlite"
fresh_case() { cp "$W/case-before.sqlite" "$W/case.sqlite"; rm -f "$W/case.sqlite-wal" "$W/case.sqlite-shm"; }
# 6: report --out onto the database
run p6-report 300 "$S" report --db "$W/case.sqlite" --watchlist "$SC/case/watchlist.json" --out "$W/case.sqlite"
run p6-after 60 "$S" stats --db "$W/case.sqlite"
fresh_case
# 9: YAML alias bomb (RSS over 12 s, 4 GiB address-space cap), 5,000 nested lists
echo "p9-bomb	$(rss_growth 12 bash -c "ulimit -v 4194304; exec '$S' tags import --db '$W/case.sqlite' '$IN/p9/bomb.yaml'")"
sleep 2; fresh_case
run p9-deep 30 "$S" tags import --db "$W/case.sqlite" "$IN/p9/deep.yaml"
fresh_case
# 12: a FIFO named blk00000.dat; a gzip of 1 GiB of blank lines; one 200 MB JSON line; an 800 MB HTTP answer
mkdir -p "$W/fifo"; mkfifo "$W/fifo/blk00000.dat"
run p12-fifo 20 "$S" ingest --quiet --db "$W/p12a.sqlite" "$W/fifo"
run p12-gzbomb 120 "$S" ingest --quiet --db "$W/p12b.sqlite" "$IN/p12/blank.jsonl.gz"
run p12-bigline 120 "$S" ingest --quiet --network regtest --db "$W/p12c.sqlite" "$IN/p12/bigline.jsonl"
python3 - 18777 <<'PY' & server=$!
import http.server, sys
class Big(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        n = 800 << 20
        self.send_response(200); self.send_header("Content-Length", str(n)); self.end_headers()
        try:
            for _ in range(n >> 20): self.wfile.write(b" " * (1 << 20))
        except OSError: pass
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Big).serve_forever()
PY
sleep 1
run p12-http 120 "$S" fetch --db "$W/p12d.sqlite" --network regtest --esplora http://127.0.0.1:18777 "$(cat "$IN/p5/address")"
kill $server
# 13: the case on write-protected media (a read-only bind mount)
mkdir -p "$W/media-src" "$W/media"; cp "$W/case.sqlite" "$W/media-src/"
if mount --bind "$W/media-src" "$W/media" && mount -o remount,bind,ro "$W/media"; then
  run p13-stats 60 "$S" stats --db "$W/media/case.sqlite"
  umount "$W/media"
else
  echo "p13-stats	skipped: no read-only bind mount here (needs root)"
fi
# 14: labels with a terminal escape and U+202E
A=$(grep -o '"address": "[^"]*"' "$SC/case/watchlist.json" | head -n 1 | cut -d'"' -f4)
printf 'title: esc\ncreator: probe\ncurrency: BTC\nsource: probe\ntags:\n  - address: %s\n    label: "\\e[31mRED\\e[0m \\u202Egnp.exe"\n    category: exchange\n' "$A" > "$W/esc.yaml"
run p14-import 60 "$S" tags import --db "$W/case.sqlite" "$W/esc.yaml"
run p14-list 60 "$S" tags list --db "$W/case.sqlite"
echo "   p14 raw ESC bytes in the output: $(tr -cd '\033' < "$W/p14-list.out" | wc -c), raw U+202E: $(grep -c $'\u202e' "$W/p14-list.out")"
# 15: a BOM before node JSON; text that is not hex; a 0-byte and a missing database; a watchlist of another
# network; a string that is no address imported as a tag
run p15-bom 60 "$S" ingest --quiet --db "$W/p15bom.sqlite" "$IN/p15/bom.jsonl"
printf 'this is not hex at all, zz\n' > "$W/nothex.txt"
run p15-nothex 60 "$S" inspect tx "$W/nothex.txt"
: > "$W/empty.sqlite"
run p15-emptydb 60 "$S" cluster --db "$W/empty.sqlite"
echo "   p15 empty.sqlite afterwards: $(stat -c %s "$W/empty.sqlite") bytes"
run p15-missingdb 60 "$S" report --db "$W/missing.sqlite" --watchlist "$SC/case/watchlist.json" --out "$W/missing.json"
echo "   p15 missing.sqlite created: $([ -e "$W/missing.sqlite" ] && echo yes || echo no), report written: $([ -e "$W/missing.json" ] && echo yes || echo no)"
printf '{"addresses": [{"address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "label": "adsite"}]}\n' > "$W/mainnet-watch.json"
run p15-othernet 120 "$S" report --db "$W/case.sqlite" --watchlist "$W/mainnet-watch.json" --out "$W/othernet.json"
printf 'address,label,category\nnot-an-address,x,exchange\n' > "$W/junk.csv"
run p15-junkaddr 60 "$S" tags import --db "$W/case.sqlite" "$W/junk.csv"
echo "   p15 tags stored for 'not-an-address': $(sql "$W/case.sqlite" "SELECT COUNT(*) FROM tag WHERE address = 'not-an-address'")"
