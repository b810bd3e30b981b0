#!/usr/bin/env bash
# Seed corpora for the harnesses, from the repository's test fixtures (each file's origin is in
# Tests/Fixtures/SOURCES.md and SampleChains/README.md). Multi-file inputs are joined with the marker
# FF 00 FF 00 (see FuzzSupport). Needs only bash, perl and gzip.
# usage: make-seeds.sh REPO_ROOT OUT_DIR
# No pipefail: several lines take the first N of a longer stream with `head`, and the writer then dies of SIGPIPE
# (exit 141) whenever head exits first, a race that failed a CI fuzz step at random.
set -eu
root=$1
out=$2
fx="$root/Tests/Fixtures"
chain="$root/SampleChains/small-seed1"
rm -rf "$out"
for h in FuzzTransaction FuzzBlock FuzzBlkDirectory FuzzNodeJSON FuzzBitcoinETL FuzzEsploraJSON FuzzAdsCSV FuzzWatchlist \
         FuzzTagPackYAML FuzzProfileJSON FuzzRawFile; do mkdir -p "$out/$h"; done
marker() { printf '\xff\x00\xff\x00'; }
unhex() { perl -ne 's/\s//g; print pack("H*", $_)'; }

# Transactions: Core's tx_valid rows and util transactions, decoded from hex.
n=0
perl -ne 'while (/"([0-9a-f]{120,})"/g) { print "$1\n" }' "$fx/bitcoin-core/tx_valid.json" | head -n 60 |
  while read -r hex; do n=$((n + 1)); printf '%s' "$hex" | unhex > "$out/FuzzTransaction/tx_valid_$n"; done
for f in "$fx"/bitcoin-core/util/*.hex; do unhex < "$f" > "$out/FuzzTransaction/$(basename "$f" .hex)"; done

# Blocks: Core's regtest chain of rpc_getblockstats (104 blocks) and btcd's mainnet blocks 0-4.
perl -ne 'while (/"([0-9a-f]{160,})"/g) { print "$1\n" }' "$fx/bitcoin-core/rpc_getblockstats.json" | head -n 104 > "$out/blocks.hex"
i=0
while read -r hex; do i=$((i + 1)); printf '%s' "$hex" | unhex > "$out/FuzzBlock/regtest_$i"; done < "$out/blocks.hex"
perl -e 'local $/; my $d = <>; my $i = 0; while (length($d) >= 8) { my $n = unpack("V", substr($d, 4, 4));
  open(my $f, ">", "'"$out"'/FuzzBlock/btcd_$i"); print $f substr($d, 8, $n); close $f; $d = substr($d, 8 + $n); $i++ }' \
  < "$fx/btcd/blk_0_to_4.dat"
cp "$out"/FuzzBlock/btcd_* "$out/FuzzTransaction/" 2>/dev/null || true

# Blocks directories: btcd's blk file as is; regtest blocks framed, plain and XOR'd; two files.
{ printf '\x00'; cat "$fx/btcd/blk_0_to_4.dat"; } > "$out/FuzzBlkDirectory/btcd"
perl -e 'my $key = pack("H*", "746a8193ceeebd0b"); my ($xor, $two) = @ARGV; my $file = "";
  while (my $hex = <STDIN>) { chomp $hex; my $b = pack("H*", $hex); $file .= pack("H*", "fabfb5da") . pack("V", length $b) . $b;
    last if length($file) > 20000 }
  open(my $p, ">", "$xor.plain"); print $p "\x00" . $file; close $p;
  my $x = $file; for my $i (0 .. length($x) - 1) { substr($x, $i, 1) = chr(ord(substr($x, $i, 1)) ^ ord(substr($key, $i % 8, 1))) }
  open(my $o, ">", $xor); print $o "\x01" . $key . $x; close $o;
  my $half = int(length($file) / 2); open(my $t, ">", $two); print $t "\x00" . $file . "\xff\x00\xff\x00" . $file; close $t' \
  "$out/FuzzBlkDirectory/regtest_xor" "$out/FuzzBlkDirectory/regtest_two_files" < "$out/blocks.hex"
mv "$out/FuzzBlkDirectory/regtest_xor.plain" "$out/FuzzBlkDirectory/regtest_plain"
# Single files as `ingest` meets them: block and transaction hex (one or several lines), binary, gzip'd JSON.
sed -n '1p;50p' "$out/blocks.hex" > "$out/FuzzRawFile/blocks_hex"
head -n 1 "$out/blocks.hex" > "$out/FuzzRawFile/block_hex"
cp "$out/FuzzBlock/regtest_3" "$out/FuzzRawFile/block_binary"
for f in "$fx"/bitcoin-core/util/*.hex; do cp "$f" "$out/FuzzRawFile/$(basename "$f")"; done
gzip -dc "$chain/rpc/blocks.jsonl.gz" | sed -n '1,2p' | gzip -c > "$out/FuzzRawFile/node_json_gz"
rm -f "$out/blocks.hex"

# Node JSON: the sample chain's getblock 3 lines, bitcoin-etl's mocked RPC answers, Core's decoded transactions.
gzip -dc "$chain/rpc/blocks.jsonl.gz" | sed -n '1,3p;130,131p;300p' | split -l 1 - "$out/FuzzNodeJSON/samplechain_"
find "$fx/bitcoin-etl" -name 'rpc_response*.json' | head -n 20 | while read -r f; do cp "$f" "$out/FuzzNodeJSON/"; done
for f in "$fx"/bitcoin-core/util/*.json; do cp "$f" "$out/FuzzNodeJSON/"; done

# bitcoin-etl: each expected export pair of the fixtures.
find "$fx/bitcoin-etl" -name 'expected_blocks.json' | while read -r b; do
  d=$(dirname "$b"); t="$d/expected_transactions.json"; [ -f "$t" ] || continue
  { cat "$b"; marker; cat "$t"; } > "$out/FuzzBitcoinETL/$(basename "$d")"
done

# Esplora: a transaction's JSON as the API serves it, then its bytes.
tx=$(gzip -dc "$chain/rpc/blocks.jsonl.gz" | sed -n '131p' | perl -ne 'print $1 if /"hex":"(0[12]000000[0-9a-f]+)"/')
cat > "$out/FuzzEsploraJSON/tx_json" <<'JSON'
{"txid":"4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b","vin":[{"txid":"0000000000000000000000000000000000000000000000000000000000000000","vout":4294967295,"prevout":null,"is_coinbase":true}],"vout":[{"scriptpubkey":"76a914000000000000000000000000000000000000000088ac","scriptpubkey_address":"1111111111111111111114oLvT2","value":5000000000}],"status":{"confirmed":true,"block_height":0,"block_hash":"000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f","block_time":1231006505}}
JSON
{ printf '%s' '{"txid":"aa","vin":[{"txid":"bb","vout":0,"prevout":{"scriptpubkey":"0014aa","value":1000},"is_coinbase":false}],"vout":[],"status":{"confirmed":false}}'; marker; printf '%s' "$tx" | unhex; } > "$out/FuzzEsploraJSON/with_bytes"
printf '%s' '[{"spent":true,"txid":"4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b","vin":0},{"spent":false}]' > "$out/FuzzEsploraJSON/outspends"
printf '%s' '{"id":"000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f","height":0,"tx_count":1,"size":285,"weight":1140}' > "$out/FuzzEsploraJSON/block"
printf '%s' '["4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b","4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"]' > "$out/FuzzEsploraJSON/txids"

# Ads and rates: the sample case's files (the first rows), and a few edge rows.
{ head -n 30 "$chain/case/ads.csv"; marker; head -n 10 "$chain/case/rates.csv"; } > "$out/FuzzAdsCSV/samplecase"
{ printf 'ad_id,posted_at,price_btc,price_usd,contact\n1,1454831063,,4.00,"a, b"\n2,1454831063,0.1,,x\n'; marker; printf 'day,usd_per_btc\n2016-02-07,400\n'; } > "$out/FuzzAdsCSV/usd"

# Watchlists: the sample case's JSON and a CSV one.
cp "$chain/case/watchlist.json" "$out/FuzzWatchlist/watchlist.json"
printf 'address,label,category,is_cluster_definer\nbc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4,site,ads,yes\n1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,"x, y",,no\n' > "$out/FuzzWatchlist/watchlist.csv"

# TagPacks: the first lines of each shipped one.
for f in "$fx"/tagpacks/*.yaml; do head -c 6000 "$f" > "$out/FuzzTagPackYAML/$(basename "$f")"; done

# Profiles: the shipped ones.
cp "$root"/Heuristics/profiles/*.json "$out/FuzzProfileJSON/"
