import GRDB

/// Tags (attributions of addresses to owners) kept in the case database. Tags are stored by address string,
/// so they can be imported before or after the chain data; the address id is joined in when read.
public enum TagSchema {
    /// Registered after the store's and the clustering's migrations; never edited once shipped.
    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-tags") { db in
            try db.execute(sql: """
                CREATE TABLE tag (
                    id INTEGER PRIMARY KEY,
                    address TEXT NOT NULL,
                    label TEXT NOT NULL,
                    category TEXT,
                    confidence TEXT,
                    source TEXT,
                    actor TEXT,
                    isClusterDefiner INTEGER NOT NULL,
                    origin TEXT NOT NULL,
                    UNIQUE(address, label, origin)
                );
                CREATE INDEX tag_address ON tag(address);
                """)
        }
    }
}

/// A stored tag, as the store sees it (plain fields; the Reports target owns parsing).
public struct StoredTag: Sendable, Hashable, Codable {
    public var address: String
    public var addressID: Int?
    public var label: String
    public var category: String?
    public var confidence: String?
    public var source: String?
    public var actor: String?
    public var isClusterDefiner: Bool
    public var origin: String

    public init(address: String, addressID: Int? = nil, label: String, category: String?, confidence: String?,
                source: String?, actor: String?, isClusterDefiner: Bool, origin: String) {
        self.address = address; self.addressID = addressID; self.label = label; self.category = category
        self.confidence = confidence; self.source = source; self.actor = actor
        self.isClusterDefiner = isClusterDefiner; self.origin = origin
    }
}

public enum TagStore {
    /// Inserts tags; a tag already stored (same address, label and origin) is left alone, so importing a
    /// file twice changes nothing. Returns how many were new.
    @discardableResult
    public static func insert(_ tags: [StoredTag], into database: CaseDatabase) throws -> Int {
        try database.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO tag(address, label, category, confidence, source, actor, isClusterDefiner, origin)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var added = 0
            for t in tags {
                try statement.execute(arguments: [t.address, t.label, t.category, t.confidence, t.source, t.actor,
                                                  t.isClusterDefiner ? 1 : 0, t.origin])
                added += db.changesCount
            }
            return added
        }
    }

    /// Every stored tag with its address id when the chain data holds the address; ordered for stable output.
    public static func all(in database: CaseDatabase) throws -> [StoredTag] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.*, a.id AS addressID FROM tag t LEFT JOIN address a ON a.address = t.address
                ORDER BY t.address, t.label, t.origin
                """).map { r in
                StoredTag(address: r["address"], addressID: r["addressID"], label: r["label"], category: r["category"],
                          confidence: r["confidence"], source: r["source"], actor: r["actor"],
                          isClusterDefiner: (r["isClusterDefiner"] as Int64? ?? 0) != 0, origin: r["origin"])
            }
        }
    }

    /// Cluster-defining tags as address -> entity label: the input of `ClusterRunner.run(entityTags:)`.
    /// An address with two definer labels keeps the first in sorted order (the conflict is reported).
    public static func entityTagsByAddress(in database: CaseDatabase) throws -> [String: String] {
        var result: [String: String] = [:]
        for t in try all(in: database) where t.isClusterDefiner && result[t.address] == nil { result[t.address] = t.label }
        return result
    }

    /// The cluster-defining tags as (address id, entity label): the input of clustering's entity guard.
    public static func entityTags(in database: CaseDatabase) throws -> [(addressID: Int, label: String)] {
        try all(in: database).compactMap { t in
            guard t.isClusterDefiner, let id = t.addressID else { return nil }
            return (id, t.label)
        }
    }
}
