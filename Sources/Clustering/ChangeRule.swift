/// A change rule: change heuristics composed with named set combinators. It is data, so profiles can
/// hold it and reports can echo it. JSON form (hand-written `Codable`, one key per node):
///
///     {"use": "change.optimal"}
///     {"use": "change.round-payment", "parameters": {"digits": 6}}
///     {"union": [r1, r2, …]}          outputs any of the rules names
///     {"intersection": [r1, r2, …]}   outputs every rule names
///     {"difference": [r1, r2]}        outputs r1 names and r2 does not
///     {"unique": r}                   r's outputs if it names exactly one, else none
///     {"at-least": {"k": 2, "of": [r1, r2, …]}}   outputs named by at least k of the rules
///     {"first": [r1, r2, …]}          the outputs of the first rule that names any (an ordered fallback:
///                                     a weaker signal is consulted only where the stronger ones are silent)
///     {"not-contradicted": [r, v1, v2, …]}   r's outputs, unless some v_i names a non-empty set that does
///                                     not hold all of them — then none (the v_i are heuristics whose
///                                     complement says "payment": a pick they contradict is dropped)
public indirect enum ChangeRule: Hashable, Sendable {
    case use(HeuristicID, parameters: [String: Int] = [:])
    case union([ChangeRule])
    case intersection([ChangeRule])
    case difference(ChangeRule, ChangeRule)
    case unique(ChangeRule)
    case atLeast(Int, of: [ChangeRule])
    case first([ChangeRule])
    /// `r`'s outputs unless a veto names a non-empty set that does not contain them all.
    case notContradicted(ChangeRule, vetoes: [ChangeRule])

    /// Every heuristic id the rule uses, with its parameters, in first-use order.
    public var leaves: [(HeuristicID, [String: Int])] {
        var out: [(HeuristicID, [String: Int])] = []
        func walk(_ r: ChangeRule) {
            switch r {
            case let .use(id, p): if !out.contains(where: { $0.0 == id && $0.1 == p }) { out.append((id, p)) }
            case let .union(rs), let .intersection(rs), let .atLeast(_, rs), let .first(rs): rs.forEach(walk)
            case let .difference(a, b): walk(a); walk(b)
            case let .unique(r): walk(r)
            case let .notContradicted(r, vs): walk(r); vs.forEach(walk)
            }
        }
        walk(self)
        return out
    }

    /// Evaluates the rule given each leaf's candidate set (looked up by id and parameters).
    public func evaluate(_ leaf: (HeuristicID, [String: Int]) -> OutputSet) -> OutputSet {
        let table = leaves
        let rule = compiled { id, p in table.firstIndex { $0.0 == id && $0.1 == p } }
        return rule.evaluate(table.map { leaf($0.0, $0.1) })
    }

    /// The rule with every leaf replaced by its position in a table of candidate sets (nil: a leaf the table
    /// lacks, which names nothing), so a clusterer evaluating it per transaction looks nothing up by name.
    public func compiled(_ position: (HeuristicID, [String: Int]) -> Int?) -> CompiledChangeRule {
        switch self {
        case let .use(id, p): return .leaf(position(id, p) ?? -1)
        case let .union(rs): return .union(rs.map { $0.compiled(position) })
        case let .intersection(rs): return .intersection(rs.map { $0.compiled(position) })
        case let .difference(a, b): return .difference(a.compiled(position), b.compiled(position))
        case let .unique(r): return .unique(r.compiled(position))
        case let .atLeast(k, rs): return .atLeast(k, of: rs.map { $0.compiled(position) })
        case let .first(rs): return .first(rs.map { $0.compiled(position) })
        case let .notContradicted(r, vs): return .notContradicted(r.compiled(position), vetoes: vs.map { $0.compiled(position) })
        }
    }

    /// A compact one-line rendering for evidence and summaries, e.g.
    /// `unique(at-least(2, [change.optimal, change.address-type]))`.
    public var summary: String {
        switch self {
        case let .use(id, p):
            guard !p.isEmpty else { return id.rawValue }
            return id.rawValue + "(" + p.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + ")"
        case let .union(rs): return "union(" + rs.map(\.summary).joined(separator: ", ") + ")"
        case let .intersection(rs): return "intersection(" + rs.map(\.summary).joined(separator: ", ") + ")"
        case let .difference(a, b): return "difference(\(a.summary), \(b.summary))"
        case let .unique(r): return "unique(\(r.summary))"
        case let .atLeast(k, rs): return "at-least(\(k), [" + rs.map(\.summary).joined(separator: ", ") + "])"
        case let .first(rs): return "first(" + rs.map(\.summary).joined(separator: ", ") + ")"
        case let .notContradicted(r, vs): return "not-contradicted(" + ([r] + vs).map(\.summary).joined(separator: ", ") + ")"
        }
    }
}

/// A `ChangeRule` whose leaves are positions in a table of candidate sets (`ChangeRule.compiled`): the one
/// implementation of the combinators' meaning.
public indirect enum CompiledChangeRule: Sendable {
    /// Position in the table; -1 (a heuristic the table lacks) names nothing.
    case leaf(Int)
    case union([CompiledChangeRule])
    case intersection([CompiledChangeRule])
    case difference(CompiledChangeRule, CompiledChangeRule)
    case unique(CompiledChangeRule)
    case atLeast(Int, of: [CompiledChangeRule])
    case first([CompiledChangeRule])
    case notContradicted(CompiledChangeRule, vetoes: [CompiledChangeRule])

    /// - Parameter sets: each leaf's candidate set, by position.
    public func evaluate(_ sets: [OutputSet]) -> OutputSet {
        switch self {
        case let .leaf(i): return i >= 0 && i < sets.count ? sets[i] : .empty
        case let .union(rs): return rs.reduce(OutputSet.empty) { $0.union($1.evaluate(sets)) }
        case let .intersection(rs):
            guard let first = rs.first else { return .empty }
            return rs.dropFirst().reduce(first.evaluate(sets)) { $0.intersection($1.evaluate(sets)) }
        case let .difference(a, b): return a.evaluate(sets).subtracting(b.evaluate(sets))
        case let .unique(r):
            let s = r.evaluate(sets)
            return s.count == 1 ? s : .empty
        case let .atLeast(k, rs):
            let evaluated = rs.map { $0.evaluate(sets) }
            var votes = [Int](repeating: 0, count: evaluated.map(\.bound).max() ?? 0)
            for s in evaluated { for o in s { votes[o] += 1 } }
            return OutputSet(votes.indices.filter { votes[$0] >= k && k > 0 })
        case let .first(rs):
            for r in rs {
                let s = r.evaluate(sets)
                if !s.isEmpty { return s }
            }
            return .empty
        case let .notContradicted(r, vs):
            let s = r.evaluate(sets)
            guard !s.isEmpty else { return .empty }
            for v in vs {
                let allowed = v.evaluate(sets)
                if !allowed.isEmpty && !s.subtracting(allowed).isEmpty { return .empty }
            }
            return s
        }
    }
}

/// JSON object keys that are not known at compile time.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.intValue = intValue; stringValue = String(intValue) }
}

extension ChangeRule: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let keys = c.allKeys.map(\.stringValue)
        let nodeKeys = ["use", "union", "intersection", "difference", "unique", "at-least", "first", "not-contradicted"]
        let present = keys.filter { nodeKeys.contains($0) }
        guard present.count == 1, let kind = present.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "a change rule needs exactly one of \(nodeKeys.joined(separator: ", ")); found \(keys.sorted())"))
        }
        for k in keys where k != kind && !(kind == "use" && k == "parameters") {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey(k)],
                                                    debugDescription: "unknown key \"\(k)\" in a \(kind) rule"))
        }
        switch kind {
        case "use":
            let id = try c.decode(HeuristicID.self, forKey: AnyKey("use"))
            guard HeuristicRegistry.changeIDs.contains(id) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey("use")],
                    debugDescription: "unknown change heuristic \"\(id)\" (known: \(HeuristicRegistry.changeIDs.map(\.rawValue).sorted().joined(separator: ", ")))"))
            }
            let params = try c.decodeIfPresent([String: Int].self, forKey: AnyKey("parameters")) ?? [:]
            try HeuristicRegistry.checkParameters(params, of: id, at: decoder.codingPath + [AnyKey("parameters")])
            self = .use(id, parameters: params)
        case "union", "intersection", "first":
            let rs = try c.decode([ChangeRule].self, forKey: AnyKey(kind))
            guard !rs.isEmpty else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey(kind)],
                                                        debugDescription: "\(kind) needs at least one rule"))
            }
            self = kind == "union" ? .union(rs) : kind == "first" ? .first(rs) : .intersection(rs)
        case "difference":
            let rs = try c.decode([ChangeRule].self, forKey: AnyKey(kind))
            guard rs.count == 2 else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey(kind)],
                    debugDescription: "difference needs exactly two rules [from, minus], got \(rs.count)"))
            }
            self = .difference(rs[0], rs[1])
        case "not-contradicted":
            let rs = try c.decode([ChangeRule].self, forKey: AnyKey(kind))
            guard rs.count >= 2 else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey(kind)],
                    debugDescription: "not-contradicted needs a rule and at least one veto [rule, veto, …], got \(rs.count)"))
            }
            self = .notContradicted(rs[0], vetoes: Array(rs.dropFirst()))
        case "unique":
            self = .unique(try c.decode(ChangeRule.self, forKey: AnyKey(kind)))
        default:
            let inner = try c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey(kind))
            for k in inner.allKeys where k.stringValue != "k" && k.stringValue != "of" {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey(kind), k],
                    debugDescription: "unknown key \"\(k.stringValue)\" in at-least (expected k, of)"))
            }
            let k = try inner.decode(Int.self, forKey: AnyKey("k"))
            let rs = try inner.decode([ChangeRule].self, forKey: AnyKey("of"))
            guard k >= 1, k <= rs.count else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey(kind), AnyKey("k")],
                    debugDescription: "at-least k = \(k) must be between 1 and the number of rules (\(rs.count))"))
            }
            self = .atLeast(k, of: rs)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        switch self {
        case let .use(id, p):
            try c.encode(id, forKey: AnyKey("use"))
            if !p.isEmpty { try c.encode(p, forKey: AnyKey("parameters")) }
        case let .union(rs): try c.encode(rs, forKey: AnyKey("union"))
        case let .intersection(rs): try c.encode(rs, forKey: AnyKey("intersection"))
        case let .first(rs): try c.encode(rs, forKey: AnyKey("first"))
        case let .difference(a, b): try c.encode([a, b], forKey: AnyKey("difference"))
        case let .unique(r): try c.encode(r, forKey: AnyKey("unique"))
        case let .notContradicted(r, vs): try c.encode([r] + vs, forKey: AnyKey("not-contradicted"))
        case let .atLeast(k, rs):
            var inner = c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("at-least"))
            try inner.encode(k, forKey: AnyKey("k"))
            try inner.encode(rs, forKey: AnyKey("of"))
        }
    }
}
