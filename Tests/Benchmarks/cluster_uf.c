/* Plain C union-find for the clustering benchmark (Tests/Benchmarks/cluster.sh).
 * Same algorithm as Spoor's: link by minimum id, full path compression.
 *   cluster_uf lists FILE      union over the co-spend lists Spoor wrote (in-memory line)
 *   cluster_uf sqlite DB       store -> cluster ids: reads what Spoor's default profile reads from the case
 *                              database, the best-chain blocks and the narrow clustering input
 *                              clusterInput(txId, blockId, position, flags, addresses), with the same statement
 * Prints the time, peak memory and a checksum of the final cluster ids (equal to Spoor's when the lists are
 * equal; from the store the C line applies no CoinJoin exclusion, so a few clusters differ). */
#include <sys/resource.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t *parent;

static uint32_t find(uint32_t a) {
    uint32_t r = a;
    while (parent[r] != r) r = parent[r];
    while (parent[a] != r) { uint32_t n = parent[a]; parent[a] = r; a = n; }
    return r;
}

static void unite(uint32_t a, uint32_t b) {
    uint32_t ra = find(a), rb = find(b);
    if (ra == rb) return;
    if (ra < rb) parent[rb] = ra; else parent[ra] = rb;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* CPU time of this process: on a shared machine the wall clock mostly measures the other processes. */
static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Final cluster id of every address, in place (what Spoor's run ends with): in id order each parent is already
 * final, since parents point below their child. */
static void finalIds(uint32_t n) {
    for (uint32_t i = 0; i < n; i++) parent[i] = parent[parent[i]];
}

static void report(const char *what, uint32_t n, double seconds, double cpuSeconds) {
    uint64_t checksum = 0, clusters = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = parent[i];
        if (r == i) clusters++;
        checksum = checksum * 31 + r;
    }
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    printf("c: %s %.3f s (CPU %.3f s), %llu clusters, checksum %llu, union-find %zu bytes/address, peak resident %.0f MB\n", what,
           seconds, cpuSeconds, (unsigned long long)clusters, (unsigned long long)checksum, sizeof(uint32_t), u.ru_maxrss / 1024.0);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s lists FILE | sqlite DB\n", argv[0]); return 2; }
    if (strcmp(argv[1], "lists") == 0) {
        FILE *f = fopen(argv[2], "rb");
        if (!f) { perror(argv[2]); return 1; }
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint32_t *data = malloc(size);
        if (fread(data, 1, size, f) != (size_t)size) { fprintf(stderr, "%s: short read\n", argv[2]); return 1; }
        fclose(f);
        uint32_t n = data[0], lists = data[1];
        parent = malloc(sizeof(uint32_t) * n);
        double t0 = now(), c0 = cpu();
        for (uint32_t i = 0; i < n; i++) parent[i] = i;
        size_t p = 2;
        for (uint32_t l = 0; l < lists; l++) {
            uint32_t k = data[p++];
            for (uint32_t j = 1; j < k; j++) unite(data[p], data[p + j]);
            p += k;
        }
        finalIds(n);
        double t1 = now(), c1 = cpu();
        report("union-find over the in-memory lists -> final ids", n, t1 - t0, c1 - c0);
        return 0;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", argv[2], sqlite3_errmsg(db));
        return 1;
    }
    /* The same mmap setting Spoor's connections use. */
    sqlite3_exec(db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
    double t0 = now(), c0 = cpu();
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT MAX(id) FROM address", -1, &st, NULL);
    sqlite3_step(st);
    uint32_t n = (uint32_t)sqlite3_column_int64(st, 0) + 1;
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db, "SELECT MAX(id) FROM block", -1, &st, NULL);
    sqlite3_step(st);
    int64_t blocks = sqlite3_column_int64(st, 0) + 1;
    sqlite3_finalize(st);
    unsigned char *best = calloc(blocks, 1);
    sqlite3_prepare_v2(db, "SELECT id, height FROM block WHERE inBestChain = 1", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id >= 0 && id < blocks) best[id] = 1;
    }
    sqlite3_finalize(st);
    parent = malloc(sizeof(uint32_t) * n);
    for (uint32_t i = 0; i < n; i++) parent[i] = i;
    /* Co-spends of every best-chain or loose transaction (no CoinJoin exclusion: a lower bound on Spoor's work). */
    if (sqlite3_prepare_v2(db, "SELECT txId, blockId, position, flags, addresses FROM clusterInput ORDER BY txId", -1, &st,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s (run spoor-bench cluster-migrate first)\n", argv[2], sqlite3_errmsg(db));
        return 1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
            int64_t b = sqlite3_column_int64(st, 1);
            if (b < 0 || b >= blocks || !best[b]) continue;
        }
        const unsigned char *p = sqlite3_column_blob(st, 4);
        int k = sqlite3_column_bytes(st, 4) / 4;
        uint32_t first = UINT32_MAX;
        for (int j = 0; j < k; j++) {
            uint32_t a;
            memcpy(&a, p + 4 * j, 4);
            if (a == UINT32_MAX || a >= n) continue;
            if (first == UINT32_MAX) first = a; else unite(first, a);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    finalIds(n);
    double t1 = now(), c1 = cpu();
    report("store -> final cluster ids (sqlite3 scan of clusterInput + union-find)", n, t1 - t0, c1 - c0);
    return 0;
}
