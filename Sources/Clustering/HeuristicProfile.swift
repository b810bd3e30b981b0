import BitcoinPrimitives
import Foundation

/// A named selection of heuristics: what links inputs, what stops links, which change rule applies,
/// and the collapse guards. Loaded from `Heuristics/profiles/<id>.json` (the commands also read the same
/// document written as YAML); its id and the SHA-256 of the file's bytes go into every result, so a reader
/// can tell exactly which rules made a clustering.
public struct HeuristicProfile: Hashable, Sendable {
    public var id: String
    public var version: Int
    public var description: String
    public var cospend: [HeuristicID]
    public var exclusions: [HeuristicID]
    public var change: ChangeRule?
    /// Links between clusters drawn from how they pay (not from one transaction's inputs or change), applied
    /// after the chain has been walked: `link.deposit-address`.
    public var links: [LinkRule]
    public var guards: Guards
    /// Hex SHA-256 of the profile file's bytes (of the canonical JSON for profiles built in code).
    public var hash: String

    public struct Guards: Hashable, Sendable, Codable {
        /// Refuse a merge in which the smaller cluster has more than this many addresses (the cluster
        /// would grow by more than this in one step). nil = no limit.
        public var maxMergeGrowth: Int?
        /// Refuse a merge joining two clusters tagged with different entities.
        public var entityTags: Bool
        /// `guard.collapse`: when a guessed merge (a change pick or a link) must be refused. nil = off.
        public var collapse: Collapse?
        /// `guard.roles`: refuse a merge joining a cluster that receives the site's payments with one that pays
        /// them (roles observed from the watchlist, `ObservedRoles`).
        public var roles: Bool
        public init(maxMergeGrowth: Int? = nil, entityTags: Bool = true, collapse: Collapse? = nil, roles: Bool = false) {
            self.maxMergeGrowth = maxMergeGrowth
            self.entityTags = entityTags
            self.collapse = collapse
            self.roles = roles
        }
        enum CodingKeys: String, CodingKey {
            case maxMergeGrowth = "max_merge_growth"
            case entityTags = "entity_tags"
            case collapse
            case roles
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(maxMergeGrowth: try c.decodeIfPresent(Int.self, forKey: .maxMergeGrowth),
                      entityTags: try c.decodeIfPresent(Bool.self, forKey: .entityTags) ?? true,
                      collapse: try c.decodeIfPresent(Collapse.self, forKey: .collapse),
                      roles: try c.decodeIfPresent(Bool.self, forKey: .roles) ?? false)
        }
        /// `roles` is written only when on, so the canonical JSON (and hash) of a profile without it is unchanged.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(maxMergeGrowth, forKey: .maxMergeGrowth)
            try c.encode(entityTags, forKey: .entityTags)
            try c.encodeIfPresent(collapse, forKey: .collapse)
            if roles { try c.encode(roles, forKey: .roles) }
        }
    }

    /// `guard.collapse`: a guessed merge (a change pick, a link) is refused when both clusters already hold at
    /// least `large` addresses, or when the merged cluster would hold at least `large` addresses and more than
    /// `maxSharePercent` % of the addresses seen so far. Co-spends are not guesses and are not refused.
    public struct Collapse: Hashable, Sendable, Codable {
        public var large: Int
        public var maxSharePercent: Int
        public init(large: Int, maxSharePercent: Int) {
            self.large = large
            self.maxSharePercent = maxSharePercent
        }
        enum CodingKeys: String, CodingKey {
            case large
            case maxSharePercent = "max_share_percent"
        }
    }

    public init(id: String, version: Int = 1, description: String = "", cospend: [HeuristicID] = [HeuristicRegistry.multiInput],
                exclusions: [HeuristicID] = HeuristicRegistry.defaultExclusionIDs, change: ChangeRule? = nil,
                links: [LinkRule] = [], guards: Guards = Guards(), hash: String = "") {
        self.id = id
        self.version = version
        self.description = description
        self.cospend = cospend
        self.exclusions = exclusions
        self.change = change
        self.links = links
        self.guards = guards
        self.hash = hash
    }

    /// The built-in default: multi-input clustering with every exclusion, no change rule.
    public static let builtInDefault = HeuristicProfile(
        id: "default", description: "Common-input clustering; coinbase and CoinJoins excluded.", hash: "built-in")

    /// Parses and validates a profile file's bytes. `file` names the file in error messages.
    /// - Parameter original: the bytes of the file as written, when `json` was converted from another
    ///   form (a YAML profile): the hash is of what the analyst wrote.
    /// - Throws: `ProfileError` naming the file and the key path of the first problem.
    public static func load(_ json: [UInt8], file: String, original: [UInt8]? = nil) throws(ProfileError) -> HeuristicProfile {
        var profile: HeuristicProfile
        do {
            profile = try JSONDecoder().decode(ProfileDocument.self, from: Data(json)).profile
        } catch let e as DecodingError {
            throw ProfileError(file: file, decoding: e)
        } catch let e as ProfileError {
            throw ProfileError(file: file, path: e.path, message: e.message)
        } catch {
            throw ProfileError(file: file, path: "", message: "not valid JSON: \(error)")
        }
        let bytes = original ?? json
        profile.hash = bytes.withUnsafeBytes { Hex.encode(Hashing.sha256($0).bytes) }
        return profile
    }
}

/// A problem in a profile file: which file, where in it (a JSON path like `change.unique.use`), what.
public struct ProfileError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var message: String
    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }
    init(file: String, decoding e: DecodingError) {
        func render(_ path: [any CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        self.file = file
        switch e {
        case let .keyNotFound(key, ctx):
            path = render(ctx.codingPath + [key]); message = "missing key \"\(key.stringValue)\""
        case let .typeMismatch(type, ctx):
            path = render(ctx.codingPath); message = "expected \(type): \(ctx.debugDescription)"
        case let .valueNotFound(type, ctx):
            path = render(ctx.codingPath); message = "missing \(type) value"
        case let .dataCorrupted(ctx):
            path = render(ctx.codingPath); message = ctx.debugDescription
        @unknown default:
            path = ""; message = "\(e)"
        }
    }
    public var description: String {
        path.isEmpty ? "\(file): \(message)" : "\(file): at \(path): \(message)"
    }
}

/// The file format. Unknown keys are errors, not silently ignored (a typo must not disable a rule).
struct ProfileDocument: Decodable {
    var profile: HeuristicProfile

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let known = ["id", "version", "description", "cospend", "exclude", "change", "link", "guards"]
        for k in c.allKeys where !known.contains(k.stringValue) {
            throw DecodingError.dataCorrupted(.init(codingPath: [k],
                debugDescription: "unknown key \"\(k.stringValue)\" (known: \(known.joined(separator: ", ")))"))
        }
        let id = try c.decode(String.self, forKey: AnyKey("id"))
        guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey("id")],
                debugDescription: "profile id \"\(id)\" must be non-empty letters, digits, '-', '_' or '.'"))
        }
        let version = try c.decode(Int.self, forKey: AnyKey("version"))
        let description = try c.decodeIfPresent(String.self, forKey: AnyKey("description")) ?? ""
        let cospend = try c.decode([HeuristicID].self, forKey: AnyKey("cospend"))
        for (i, h) in cospend.enumerated() where !HeuristicRegistry.cospendIDs.contains(h) {
            throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey("cospend"), AnyKey(intValue: i)!],
                debugDescription: "unknown co-spend heuristic \"\(h)\" (known: \(HeuristicRegistry.cospendIDs.map(\.rawValue).joined(separator: ", ")))"))
        }
        let exclude = try c.decode([HeuristicID].self, forKey: AnyKey("exclude"))
        for (i, h) in exclude.enumerated() where HeuristicRegistry.exclusion(h) == nil {
            throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey("exclude"), AnyKey(intValue: i)!],
                debugDescription: "unknown exclusion \"\(h)\" (known: \(HeuristicRegistry.exclusionIDs.map(\.rawValue).joined(separator: ", ")))"))
        }
        let change = try c.decodeIfPresent(ChangeRule.self, forKey: AnyKey("change"))
        let links = try c.decodeIfPresent([LinkRule].self, forKey: AnyKey("link")) ?? []
        var linkIDs = Set<HeuristicID>()
        for (i, l) in links.enumerated() where !linkIDs.insert(l.id).inserted {
            throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey("link"), AnyKey(intValue: i)!],
                debugDescription: "\(l.id) is listed twice"))
        }
        var guards = HeuristicProfile.Guards()
        if c.contains(AnyKey("guards")) {
            let g = try c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("guards"))
            for k in g.allKeys where !["max_merge_growth", "entity_tags", "collapse", "roles"].contains(k.stringValue) {
                throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey("guards"), k],
                    debugDescription: "unknown guard \"\(k.stringValue)\" (known: max_merge_growth, entity_tags, collapse, roles)"))
            }
            guards.collapse = try Self.collapse(g)
            guards.maxMergeGrowth = try g.decodeIfPresent(Int.self, forKey: AnyKey("max_merge_growth"))
            if let m = guards.maxMergeGrowth, m < 1 {
                throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey("guards"), AnyKey("max_merge_growth")],
                    debugDescription: "max_merge_growth must be at least 1 (omit it for no limit)"))
            }
            guards.entityTags = try g.decodeIfPresent(Bool.self, forKey: AnyKey("entity_tags")) ?? true
            guards.roles = try g.decodeIfPresent(Bool.self, forKey: AnyKey("roles")) ?? false
        }
        profile = HeuristicProfile(id: id, version: version, description: description, cospend: cospend,
                                   exclusions: exclude, change: change, links: links, guards: guards)
    }
}

extension ProfileDocument {
    /// `guards.collapse`: `{"large": N ≥ 2, "max_share_percent": 1…100}`, both required, nothing else.
    static func collapse(_ g: KeyedDecodingContainer<AnyKey>) throws -> HeuristicProfile.Collapse? {
        guard g.contains(AnyKey("collapse")) else { return nil }
        let c = try g.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("collapse"))
        let path = [AnyKey("guards"), AnyKey("collapse")]
        for k in c.allKeys where !["large", "max_share_percent"].contains(k.stringValue) {
            throw DecodingError.dataCorrupted(.init(codingPath: path + [k],
                debugDescription: "unknown parameter \"\(k.stringValue)\" (known: large, max_share_percent)"))
        }
        let large = try c.decode(Int.self, forKey: AnyKey("large"))
        let share = try c.decode(Int.self, forKey: AnyKey("max_share_percent"))
        guard large >= 2 else {
            throw DecodingError.dataCorrupted(.init(codingPath: path + [AnyKey("large")], debugDescription: "large must be at least 2"))
        }
        guard (1...100).contains(share) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path + [AnyKey("max_share_percent")],
                debugDescription: "max_share_percent must be between 1 and 100"))
        }
        return HeuristicProfile.Collapse(large: large, maxSharePercent: share)
    }
}

/// One cluster-linking heuristic of a profile with its parameters. JSON: `{"use": "link.deposit-address",
/// "parameters": {"min_service_addresses": 10}}`; parameters are checked against the registry's ranges.
public struct LinkRule: Hashable, Sendable, Codable {
    public var id: HeuristicID
    public var parameters: [String: Int]
    public init(_ id: HeuristicID, parameters: [String: Int] = [:]) {
        self.id = id
        self.parameters = parameters
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        for k in c.allKeys where k.stringValue != "use" && k.stringValue != "parameters" {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [k],
                debugDescription: "unknown key \"\(k.stringValue)\" in a link rule (expected use, parameters)"))
        }
        id = try c.decode(HeuristicID.self, forKey: AnyKey("use"))
        guard HeuristicRegistry.linkIDs.contains(id) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey("use")],
                debugDescription: "unknown link heuristic \"\(id)\" (known: \(HeuristicRegistry.linkIDs.map(\.rawValue).joined(separator: ", ")))"))
        }
        parameters = try c.decodeIfPresent([String: Int].self, forKey: AnyKey("parameters")) ?? [:]
        try HeuristicRegistry.checkParameters(parameters, of: id, at: decoder.codingPath + [AnyKey("parameters")])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(id, forKey: AnyKey("use"))
        if !parameters.isEmpty { try c.encode(parameters, forKey: AnyKey("parameters")) }
    }
}
