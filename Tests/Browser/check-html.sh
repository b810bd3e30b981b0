#!/usr/bin/env bash
# Renders Spoor's HTML report in a real headless browser (Debian's chromium) and checks that the trail graph
# was drawn: the DOM after rendering holds the SVG with site, payer and source nodes, and the screenshot
# holds pixels of each node colour. Installs chromium with apt-get when it is missing.
#
# usage: Tests/Browser/check-html.sh [REPORT.html]
# Without an argument it builds spoor (debug), runs `spoor investigate` on the bundled sample chain into a
# temporary folder and checks that report. Exits non-zero on any failure; prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."

passed=0; failed=0
check() {  # name, then a command that must succeed
    local name=$1; shift
    if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "== installing chromium (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then
    html=$1
else
    echo "== building spoor and running investigate on SampleChains/small-seed1"
    swift build --product spoor 2>&1 | tail -n 1
    bin=$(swift build --show-bin-path)/spoor
    "$bin" investigate SampleChains/small-seed1/rpc/blocks.jsonl.gz --case SampleChains/small-seed1/case \
        --out "$work/out" >/dev/null
    html=$work/out/report.html
fi

flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars
       --user-data-dir="$work/profile" --window-size=1280,2000)
# The DOM after the browser parsed and laid out the page.
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$(realpath "$html")" > "$work/dom.html" 2>"$work/dom.err" || true
timeout 120 "$browser" "${flags[@]}" --screenshot="$work/shot.png" "file://$(realpath "$html")" >/dev/null 2>"$work/shot.err" || true
# The first screen of a laptop: what a reader sees before scrolling.
fold=("${flags[@]/--window-size=1280,2000/--window-size=1280,800}")
timeout 120 "$browser" "${fold[@]}" --screenshot="$work/fold.png" "file://$(realpath "$html")" >/dev/null 2>"$work/fold.err" || true
if [ -n "${SPOOR_SCREENSHOTS:-}" ]; then mkdir -p "$SPOOR_SCREENSHOTS" && cp "$work/shot.png" "$work/fold.png" "$SPOOR_SCREENSHOTS/"; fi

check "browser produced a DOM" test -s "$work/dom.html"
check "DOM holds the trail SVG" grep -q '<svg[^>]*id="trail"' "$work/dom.html"
for role in site payer source; do
    check "DOM has $role nodes" grep -q "class=\"node $role\"" "$work/dom.html"
done
check "DOM has edges" grep -q 'class="edge"' "$work/dom.html"
check "DOM opens with the findings" bash -c "grep -o '<h2[^>]*>[^<]*' '$work/dom.html' | head -n 1 | grep -q 'Findings'"
check "DOM has the legend" grep -q 'id="legend"' "$work/dom.html"
check "no Markdown backticks shown" bash -c "! grep -q '\`' '$work/dom.html'"
check "no script element survived" bash -c "! grep -qi '<script' '$work/dom.html'"
check "browser produced a screenshot" test -s "$work/shot.png"

# Count pixels of each node colour in the screenshot (PNG decoded with Python's zlib; no extra packages).
colours() {  # PNG -> "name count" lines for the node colours and the findings/legend backgrounds
python3 - "$1" <<'PY' || true
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h, ct = 8, b"", 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ct = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT": idat += body
bpp = {2: 3, 6: 4}[ct]
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); rows = []; i = 0
for _ in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
want = {"site": (0x31, 0xa3, 0x54), "payer": (0xe6, 0x55, 0x0d), "source": (0x2b, 0x8c, 0xbe)}
exact = {"findings": (0xf6, 0xf8, 0xfa), "legend": (0xf3, 0xf0, 0xff)}  # flat backgrounds: exact match
counts = {k: 0 for k in list(want) + list(exact)}; nonwhite = 0
for line in rows:
    for x in range(0, stride, bpp):
        px = tuple(line[x:x + 3])
        if px != (255, 255, 255): nonwhite += 1
        for k, c in want.items():
            if all(abs(px[j] - c[j]) <= 6 for j in range(3)): counts[k] += 1
        for k, c in exact.items():
            if px == c: counts[k] += 1
print("nonwhite", nonwhite)
for k, v in counts.items(): print(k, v)
PY
}
colours "$work/shot.png" > "$work/colours.txt"
colours "$work/fold.png" > "$work/fold.txt"
echo "full page: $(tr '\n' ' ' < "$work/colours.txt")"
echo "first screen: $(tr '\n' ' ' < "$work/fold.txt")"
px() { awk -v k="$1" '$1 == k { print $2 }' "${2:-$work/colours.txt}"; }
check "screenshot is not blank" test "$(px nonwhite || echo 0)" -gt 10000
for role in site payer source; do
    check "screenshot shows $role nodes in their colour" test "$(px $role || echo 0)" -gt 200
done

# Above the fold: the findings box and the legend are drawn whole on the first 800 pixels (as many of their
# background pixels there as on the whole page), and they are not slivers.
check "browser produced a first-screen screenshot" test -s "$work/fold.png"
for part in findings legend; do
    check "$part: on the first screen" test "$(px $part "$work/fold.txt" || echo 0)" -gt 20000
    check "$part: whole on the first screen" test "$(px $part "$work/fold.txt" || echo 0)" -ge "$(px $part || echo 1)"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
