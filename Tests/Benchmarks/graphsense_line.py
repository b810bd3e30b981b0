"""graphsense-clustering (Rust, parallel union-find) over the co-spend lists Spoor wrote."""
import struct
import sys
import time

from gs_clustering import Clustering

path = sys.argv[1]
data = open(path, "rb").read()
n, lists = struct.unpack_from("<II", data, 0)
ids = memoryview(data).cast("I")
txs = []
p = 2
for _ in range(lists):
    k = ids[p]
    txs.append(list(ids[p + 1:p + 1 + k]))
    p += 1 + k
t0 = time.perf_counter()
c = Clustering(max_address_id=n)
for i in range(0, len(txs), 1_000_000):
    c.process_transactions(txs[i:i + 1_000_000])
mapping = c.get_mapping()
t1 = time.perf_counter()
print(f"graphsense-clustering: {t1 - t0:.3f} s over {lists} lists ({mapping.num_rows} mapping rows)")
