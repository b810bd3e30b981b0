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

/// One attribution: "this address belongs to <label>".
public struct Tag: Sendable, Hashable, Codable {
    public var address: String
    public var label: String
    public var category: String?
    public var confidence: String?
    public var source: String?
    public var actor: String?
    /// The label names the owner of the address's whole cluster, not just the address.
    public var isClusterDefiner: Bool
    /// File the tag came from (base name), for provenance in reports.
    public var origin: String

    public init(address: String, label: String, category: String? = nil, confidence: String? = nil,
                source: String? = nil, actor: String? = nil, isClusterDefiner: Bool = false, origin: String) {
        self.address = address; self.label = label; self.category = category; self.confidence = confidence
        self.source = source; self.actor = actor; self.isClusterDefiner = isClusterDefiner; self.origin = origin
    }

    enum CodingKeys: String, CodingKey {
        case address, label, category, confidence, source, actor
        case isClusterDefiner = "is_cluster_definer"
        case origin
    }
}

/// A tag as stored: the attribution and its address's id in the case database (nil when no stored transaction
/// uses the address). Reads through to the tag's fields (`stored.label`).
@dynamicMemberLookup
public struct StoredTag: Sendable, Hashable {
    public var tag: Tag
    public var addressID: Int?

    public init(_ tag: Tag, addressID: Int? = nil) {
        self.tag = tag
        self.addressID = addressID
    }

    public subscript<T>(dynamicMember field: KeyPath<Tag, T>) -> T { tag[keyPath: field] }
}

extension StoredTag: Encodable {
    /// `spoor tags list --json`: the tag's fields and `addressID`, flat, under the names they have always had.
    enum CodingKeys: String, CodingKey {
        case address, addressID, label, category, confidence, source, actor, isClusterDefiner, origin
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tag.address, forKey: .address)
        try c.encodeIfPresent(addressID, forKey: .addressID)
        try c.encode(tag.label, forKey: .label)
        try c.encodeIfPresent(tag.category, forKey: .category)
        try c.encodeIfPresent(tag.confidence, forKey: .confidence)
        try c.encodeIfPresent(tag.source, forKey: .source)
        try c.encodeIfPresent(tag.actor, forKey: .actor)
        try c.encode(tag.isClusterDefiner, forKey: .isClusterDefiner)
        try c.encode(tag.origin, forKey: .origin)
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
                SELECT t.*, a.id AS addressID FROM tag t LEFT JOIN address a ON \(Schema.addressMatches("a.address", "t.address"))
                ORDER BY t.address, t.label, t.origin
                """).map { r in
                StoredTag(Tag(address: r["address"], label: r["label"], category: r["category"], confidence: r["confidence"],
                              source: r["source"], actor: r["actor"],
                              isClusterDefiner: (r["isClusterDefiner"] as Int64? ?? 0) != 0, origin: r["origin"]),
                          addressID: r["addressID"])
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
