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

/// An append-only evidence log, 16 bytes per record in one array (one append per merge in the hot loop).
public struct EvidenceLog: Sendable, Equatable {
    @usableFromInline struct Packed: Sendable, Equatable {
        @usableFromInline var a, b, tx, heuristics: UInt32
        @usableFromInline init(a: UInt32, b: UInt32, tx: UInt32, heuristics: UInt32) {
            self.a = a; self.b = b; self.tx = tx; self.heuristics = heuristics
        }
    }
    @usableFromInline var storage: [Packed] = []

    public init() {}
    public init(_ records: [EvidenceRecord]) { for r in records { append(r) } }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Columns, for readers that want them.
    public var a: [UInt32] { storage.map(\.a) }
    public var b: [UInt32] { storage.map(\.b) }
    public var tx: [UInt32] { storage.map(\.tx) }
    public var heuristics: [UInt32] { storage.map(\.heuristics) }

    @inlinable public mutating func append(a x: UInt32, b y: UInt32, tx t: UInt32, heuristics h: UInt32) {
        storage.append(Packed(a: x, b: y, tx: t, heuristics: h))
    }
    public mutating func append(_ r: EvidenceRecord) { append(a: r.a.raw, b: r.b.raw, tx: r.tx.raw, heuristics: r.heuristics) }

    public subscript(i: Int) -> EvidenceRecord {
        let p = storage[i]
        return EvidenceRecord(a: AddressID(p.a), b: AddressID(p.b), tx: TxID(p.tx), heuristics: p.heuristics)
    }
    public var records: [EvidenceRecord] { (0..<count).map { self[$0] } }

    public mutating func reserve(_ n: Int) { storage.reserveCapacity(n) }
}
