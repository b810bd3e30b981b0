/// One entry of the evidence log: a union that changed something (a merge), or one that a rule stopped.
///
/// `heuristics` is a bit mask over `HeuristicRegistry.allIDs`: for a merge, the heuristics that produced
/// the link (several when a composed change rule had several supporters); for a stop, the heuristic that
/// proposed the link plus the exclusion or guard that refused it.
public struct EvidenceRecord: Hashable, Sendable {
    public var a: AddressID
    public var b: AddressID
    public var tx: TxID
    public var heuristics: UInt32

    public init(a: AddressID, b: AddressID, tx: TxID, heuristics: UInt32) {
        self.a = a
        self.b = b
        self.tx = tx
        self.heuristics = heuristics
    }

    public var heuristicIDs: [HeuristicID] { HeuristicRegistry.ids(inMask: heuristics) }

    /// Bytes of the in-memory log per record (four `UInt32` columns).
    public static let bytesPerRecord = 16
}

/// An append-only evidence log in columns, so a chain of millions of merges costs 16 bytes each.
public struct EvidenceLog: Sendable, Equatable {
    public private(set) var a: [UInt32] = []
    public private(set) var b: [UInt32] = []
    public private(set) var tx: [UInt32] = []
    public private(set) var heuristics: [UInt32] = []

    public init() {}
    public init(_ records: [EvidenceRecord]) { for r in records { append(r) } }

    public var count: Int { a.count }
    public var isEmpty: Bool { a.isEmpty }

    public mutating func append(a x: UInt32, b y: UInt32, tx t: UInt32, heuristics h: UInt32) {
        a.append(x); b.append(y); tx.append(t); heuristics.append(h)
    }
    public mutating func append(_ r: EvidenceRecord) { append(a: r.a.raw, b: r.b.raw, tx: r.tx.raw, heuristics: r.heuristics) }

    public subscript(i: Int) -> EvidenceRecord {
        EvidenceRecord(a: AddressID(a[i]), b: AddressID(b[i]), tx: TxID(tx[i]), heuristics: heuristics[i])
    }
    public var records: [EvidenceRecord] { (0..<count).map { self[$0] } }

    public mutating func reserve(_ n: Int) {
        a.reserveCapacity(n); b.reserveCapacity(n); tx.reserveCapacity(n); heuristics.reserveCapacity(n)
    }
}
