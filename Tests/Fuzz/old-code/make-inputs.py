# Builds the hostile inputs of issue 10's command-level probes (run.sh) from the project's fixtures.
# usage: make-inputs.py REPO_ROOT OUT_DIR NODE_JSON_LINES  (the last: any getblock-3 JSON lines file, e.g.
# ../shared/data/samplechains/small-seed1/rpc/blocks.jsonl; its first line seeds the BOM and gzip probes)
import gzip, hashlib, json, os, struct, sys
root, out, nodejson = sys.argv[1], sys.argv[2], sys.argv[3]
fx = os.path.join(root, "Tests/Fixtures")
os.makedirs(out, exist_ok=True)
def records(path):
    data = open(path, "rb").read(); i = 0; recs = []
    while i + 8 <= len(data):
        n = struct.unpack_from("<I", data, i + 4)[0]; recs.append(data[i:i + 8 + n]); i += 8 + n
    return recs
# 1: block 413567 (1557 tx, odd) with a copy of its last transaction appended: the merkle root is unchanged.
raw = open(os.path.join(fx, "bitcoin-core/block413567.raw"), "rb").read()
assert raw[80:83] == b"\xfd\x15\x06"
# The last transaction's bytes, found by walking the (pre-segwit) transactions.
def varint(b, i):
    v = b[i]
    if v < 0xfd: return v, i + 1
    if v == 0xfd: return struct.unpack_from("<H", b, i + 1)[0], i + 3
    if v == 0xfe: return struct.unpack_from("<I", b, i + 1)[0], i + 5
    return struct.unpack_from("<Q", b, i + 1)[0], i + 9
def tx_end(b, i):
    i += 4
    n, i = varint(b, i)
    for _ in range(n):
        i += 36; l, i = varint(b, i); i += l + 4
    n, i = varint(b, i)
    for _ in range(n):
        i += 8; l, i = varint(b, i); i += l
    return i + 4
count, i = varint(raw, 80); starts = []
for _ in range(count):
    starts.append(i); i = tx_end(raw, i)
assert i == len(raw)
last = raw[starts[-1]:]
os.makedirs(f"{out}/p1", exist_ok=True)
open(f"{out}/p1/mutated413567.raw", "wb").write(raw[:80] + b"\xfd\x16\x06" + raw[83:] + last)
# 3: mainnet 0..255 with one bit of block 155's nonce flipped (its proof of work fails).
recs = records(os.path.join(fx, "btcd/blk_0_to_4.dat"))[:1] + records(os.path.join(fx, "btcd/blocks1-256.dat"))
bad = bytearray(recs[155]); bad[8 + 76] ^= 1; recs3 = recs[:155] + [bytes(bad)] + recs[156:]
os.makedirs(f"{out}/p3", exist_ok=True); open(f"{out}/p3/blk00000.dat", "wb").write(b"".join(recs3))
# 4a: genesis..4, then block 277647 (not connected, far more work).
os.makedirs(f"{out}/p4a", exist_ok=True)
open(f"{out}/p4a/blk00000.dat", "wb").write(open(os.path.join(fx, "btcd/blk_0_to_4.dat"), "rb").read()
                                            + open(os.path.join(fx, "btcd/277647.dat"), "rb").read())
# 4b: genesis..255 with the last record cut short by 10 bytes.
os.makedirs(f"{out}/p4b", exist_ok=True); open(f"{out}/p4b/blk00000.dat", "wb").write(b"".join(recs)[:-10])
# 9: YAML alias bomb and 5,000 nested lists.
os.makedirs(f"{out}/p9", exist_ok=True)
bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
for k in "bcdefghi":
    prev = chr(ord(k) - 1); bomb.append(f"{k}: &{k} [" + ",".join([f"*{prev}"] * 9) + "]")
bomb.append("title: bomb\ncreator: x\ncurrency: BTC\ntags:\n  - address: *i\n    label: x")
open(f"{out}/p9/bomb.yaml", "w").write("\n".join(bomb) + "\n")
open(f"{out}/p9/deep.yaml", "w").write("title: deep\ntags: " + "[" * 5000 + "]" * 5000 + "\n")
# 12b: a gzip of 1 GiB of blank lines (about 1 MB).
os.makedirs(f"{out}/p12", exist_ok=True)
with gzip.open(f"{out}/p12/blank.jsonl.gz", "wb", compresslevel=9) as g:
    g.write(open(nodejson, "rb").readline())
    chunk = b"\n" * (1 << 24)
    for _ in range(64): g.write(chunk)
# 15: a node-JSON line behind a UTF-8 BOM.
os.makedirs(f"{out}/p15", exist_ok=True)
open(f"{out}/p15/bom.jsonl", "wb").write(b"\xef\xbb\xbf" + open(nodejson, "rb").readline())
# 12: one JSON line of 200 MB.
open(f"{out}/p12/bigline.jsonl", "w").write('{"hash": "' + "a" * 200_000_000 + '"}\n')

# 5: regtest genesis and two blocks whose coinbases are byte-identical (one txid, like mainnet 91812/91842):
# the later copy overwrites the earlier (BIP30's history), so the address holds one 50 BTC output, not two.
os.makedirs(f"{out}/p5", exist_ok=True)
sha = lambda b: hashlib.sha256(hashlib.sha256(b).digest()).digest()
genesis = bytes.fromhex(json.load(open(root + "/Tests/Fixtures/bitcoin-core/rpc_getblockstats.json"))["blocks"][0])
h160 = bytes([0x11]) * 20
script = b"\x76\xa9\x14" + h160 + b"\x88\xac"
coinbase = (struct.pack("<i", 1) + b"\x01" + b"\x00" * 32 + b"\xff\xff\xff\xff" + b"\x04\x03\x01\x00\x00"
            + b"\xff\xff\xff\xff" + b"\x01" + struct.pack("<q", 50 * 10**8) + bytes([len(script)]) + script
            + b"\x00\x00\x00\x00")
txid = sha(coinbase)
def mine(prev, time):
    for nonce in range(1 << 20):
        header = struct.pack("<i", 4) + prev + txid + struct.pack("<III", time, 0x207fffff, nonce)
        h = sha(header)
        if int.from_bytes(h, "little") < 0x7fffff << (8 * (0x20 - 3)):
            return header + b"\x01" + coinbase, h
b1, h1 = mine(sha(genesis[:80]), 1296688700)
b2, h2 = mine(h1, 1296688800)
frame = lambda b: bytes.fromhex("fabfb5da") + struct.pack("<I", len(b)) + b
open(out + "/p5/blk00000.dat", "wb").write(frame(genesis) + frame(b1) + frame(b2))
alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
payload = b"\x6f" + h160; payload += sha(payload)[:4]
n = int.from_bytes(payload, "big"); s = ""
while n: n, r = divmod(n, 58); s = alphabet[r] + s
open(out + "/p5/address", "w").write(s + "\n")
