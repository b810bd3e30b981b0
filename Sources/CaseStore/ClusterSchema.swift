import GRDB

/// The clustering tables (migration "v2-clustering", registered after the store's own).
///
/// - `addressCluster(addressId, clusterId)`: one row per address that is not alone in its cluster (a
///   missing row means the address is its own cluster); `clusterId` is the smallest member's id.
/// - `clusterEvidence(id, kind, a, b, txId, heuristics)`: kind 0 = a merge that changed something, kind 1 = a
///   link an exclusion or guard stopped; `heuristics` is the bit mask over `HeuristicRegistry.allIDs`.
/// - `clusterState(key, value)`: the run's profile id and hash, the chain position it reached, its summary,
///   and the seen-address bitmap an incremental run resumes from.
///
/// The indexes defined here are the only definition: a run that writes a result table whole drops them and
/// creates them again from `sqlite_master` (`ClusterRunStore.rewritingWhole`).
enum ClusterSchema {
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v2-clustering") { db in
            try db.execute(sql: """
                CREATE TABLE addressCluster (
                    addressId INTEGER PRIMARY KEY,
                    clusterId INTEGER NOT NULL
                );
                CREATE INDEX addressCluster_cluster ON addressCluster(clusterId);
                CREATE TABLE clusterEvidence (
                    id INTEGER PRIMARY KEY,
                    kind INTEGER NOT NULL,
                    a INTEGER NOT NULL,
                    b INTEGER NOT NULL,
                    txId INTEGER NOT NULL,
                    heuristics INTEGER NOT NULL
                );
                CREATE INDEX clusterEvidence_a ON clusterEvidence(a);
                CREATE INDEX clusterEvidence_b ON clusterEvidence(b);
                CREATE TABLE clusterState (
                    key TEXT PRIMARY KEY NOT NULL,
                    value BLOB NOT NULL
                );
                """)
        }
    }
}
