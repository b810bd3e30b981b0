/// The co-spend projection of a chain index: transactions in chain order as the common-input heuristic sees
/// them, each one's input address ids and two flags, with the full columns only for the few transactions a
/// CoinJoin exclusion could match (the candidates).
///
/// This is what a profile without a change rule reads (the default and conservative profiles). Every
/// CoinJoin exclusion needs two or more inputs and two outputs of equal value (Clustering's
/// `TransactionExclusion` contract), so a transaction without the `equalOutputs` flag can only be linked or
/// skipped, and the store keeps these lists in one narrow table that clustering reads sequentially (CaseStore's
/// `clusterInput`). The flags and the candidate test are defined here, below both: the store writes them, the
/// clusterer reads them.
public struct CospendIndex {
    /// The transaction is a coinbase.
    public static let coinbaseFlag: UInt8 = 1
    /// Two or more of the transaction's outputs carry the same value.
    public static let equalOutputsFlag: UInt8 = 2

    public private(set) var txStoreID: [UInt32]
    public private(set) var flags: [UInt8]
    /// Transaction i's input addresses are `inputAddress[inputStart[i] ..< inputStart[i + 1]]` (count + 1 entries).
    public private(set) var inputStart: [Int]
    /// Input address ids in input order, `ChainIndex.noAddress` for an input that pays no address.
    public private(set) var inputAddress: [UInt32]
    /// Full columns of the CoinJoin candidates (`isCandidate`), in batch order; empty when the caller
    /// clusters without CoinJoin exclusions.
    public let candidates: ChainIndex
    /// Largest address id referenced plus one.
    public let addressBound: Int

    /// - Throws: `ChainIndexError` when the columns disagree in length, the offsets are out of order, or the
    ///   candidates are not exactly the flagged transactions in order (when any are given).
    public init(txStoreID: [UInt32], flags: [UInt8], inputStart: [Int], inputAddress: [UInt32],
                candidates: ChainIndex = ChainIndex(), addressBound: Int) throws(ChainIndexError) {
        guard flags.count == txStoreID.count, inputStart.count == txStoreID.count + 1 else {
            throw ChainIndexError("co-spend columns differ in length")
        }
        guard inputStart.first == 0, inputStart.last == inputAddress.count else {
            throw ChainIndexError("co-spend input offsets do not span the address column")
        }
        var k = 0
        for t in 0..<txStoreID.count {
            guard inputStart[t] <= inputStart[t + 1] else { throw ChainIndexError("co-spend offsets of transaction \(t) are out of order") }
            if candidates.txCount > 0, Self.isCandidate(flags: flags[t], inputCount: inputStart[t + 1] - inputStart[t]) {
                guard k < candidates.txCount, candidates.txStoreID[k] == txStoreID[t] else {
                    throw ChainIndexError("CoinJoin candidate \(k) is not transaction \(txStoreID[t])")
                }
                k += 1
            }
        }
        guard candidates.txCount == 0 || k == candidates.txCount else { throw ChainIndexError("more CoinJoin candidates than flagged transactions") }
        self.txStoreID = txStoreID
        self.flags = flags
        self.inputStart = inputStart
        self.inputAddress = inputAddress
        self.candidates = candidates
        self.addressBound = addressBound
    }

    /// The co-spend projection of a full index (the candidates are the index's own transactions).
    public init(_ index: ChainIndex) {
        var flags: [UInt8] = [], starts: [Int] = [0], addresses: [UInt32] = []
        let candidates = ChainIndex()
        for t in 0..<index.txCount {
            let ins = index.inputs(of: t), outs = index.outputs(of: t)
            let f = Self.flags(isCoinbase: index.txIsCoinbase[t], outputValues: index.outputValue[outs])
            flags.append(f)
            addresses.append(contentsOf: index.inputAddress[ins])
            starts.append(addresses.count)
            if Self.isCandidate(flags: f, inputCount: ins.count) {
                candidates.beginTransaction(storeID: index.txStoreID[t], version: index.txVersion[t],
                                            lockTime: index.txLockTime[t], isCoinbase: index.txIsCoinbase[t])
                for i in ins {
                    candidates.appendInput(address: index.inputAddress[i], value: index.inputValue[i], kind: index.inputKind[i],
                                           sequence: index.inputSequence[i])
                }
                for o in outs {
                    candidates.appendOutput(address: index.outputAddress[o], value: index.outputValue[o], kind: index.outputKind[o],
                                            spender: index.outputSpender[o])
                }
            }
        }
        self.txStoreID = index.txStoreID
        self.flags = flags
        self.inputStart = starts
        self.inputAddress = addresses
        self.candidates = candidates
        self.addressBound = index.addressBound
    }

    public var count: Int { txStoreID.count }

    /// Whether a CoinJoin exclusion could match: not a coinbase, two or more inputs, equal outputs.
    @inlinable public static func isCandidate(flags: UInt8, inputCount: Int) -> Bool {
        flags & (coinbaseFlag | equalOutputsFlag) == equalOutputsFlag && inputCount >= 2
    }

    /// The flags of a transaction with these output values.
    public static func flags(isCoinbase: Bool, outputValues: some Collection<Int64>) -> UInt8 {
        (isCoinbase ? coinbaseFlag : 0) | (hasEqualValues(outputValues) ? equalOutputsFlag : 0)
    }

    /// Whether two of the values are equal (what `equalOutputsFlag` records for output values).
    public static func hasEqualValues(_ values: some Collection<Int64>) -> Bool {
        let n = values.count
        guard n >= 2 else { return false }
        if n <= 64 {
            var i = values.startIndex
            while i != values.endIndex {
                var j = values.index(after: i)
                while j != values.endIndex {
                    if values[i] == values[j] { return true }
                    j = values.index(after: j)
                }
                i = values.index(after: i)
            }
            return false
        }
        let sorted = values.sorted()
        for k in 1..<sorted.count where sorted[k] == sorted[k - 1] { return true }
        return false
    }
}

/// What reads the co-spend rows as a store streams them in chain order (the clustering walk): the store decides
/// nothing about which rows matter beyond what the visitor says.
public protocol CospendVisitor {
    /// Whether CoinJoin candidates' full columns are read at all (the profile has CoinJoin exclusions).
    var wantsCandidates: Bool { get }
    /// Whether a candidate with these counts needs its columns (false: no rule could match it, and the row is
    /// passed on as a plain co-spend, without `equalOutputsFlag`).
    func wantsColumns(inputCount: Int, outputCount: Int) -> Bool
    /// One row: the input address ids as stored (4 bytes little endian each), and the candidate's columns as a
    /// one-transaction index when it is a candidate whose columns were wanted.
    mutating func visit(tx: UInt32, flags: UInt8, addresses: UnsafeRawBufferPointer, candidate: ChainIndex?) throws
}
