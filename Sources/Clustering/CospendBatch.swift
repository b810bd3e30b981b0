/// Transactions in chain order as the common-input heuristic sees them: each one's input address ids and two
/// flags, with the full columns only for the few transactions an exclusion could match.
///
/// This is what a profile without a change rule reads (the default and conservative profiles). Every
/// CoinJoin exclusion needs two or more inputs and two outputs of equal value (`TransactionExclusion`'s
/// contract), so a transaction without the `equalOutputs` flag can only be linked or skipped, and the store
/// keeps these lists in one narrow table that clustering reads sequentially (CaseStore's `clusterInput`).
public struct CospendBatch {
    /// The transaction is a coinbase.
    public static let coinbaseFlag: UInt8 = 1
    /// Two or more of the transaction's outputs carry the same value.
    public static let equalOutputsFlag: UInt8 = 2

    public private(set) var txIDs: [UInt32]
    public private(set) var flags: [UInt8]
    /// Transaction i's input addresses are `inputAddress[inputStart[i] ..< inputStart[i + 1]]` (count + 1 entries).
    public private(set) var inputStart: [Int]
    /// Input address ids in input order, `TransactionBatch.noAddress` for an input that pays no address.
    public private(set) var inputAddress: [UInt32]
    /// Full columns of the CoinJoin candidates (`isCandidate`), in batch order; empty when the caller
    /// clusters without CoinJoin exclusions.
    public let candidates: TransactionBatch
    /// Largest address id referenced plus one.
    public let addressBound: Int

    /// - Throws: `BatchError` when the columns disagree in length, the offsets are out of order, or the
    ///   candidates are not exactly the flagged transactions in order (when any are given).
    public init(txIDs: [UInt32], flags: [UInt8], inputStart: [Int], inputAddress: [UInt32],
                candidates: TransactionBatch = TransactionBatch(), addressBound: Int) throws(BatchError) {
        guard flags.count == txIDs.count, inputStart.count == txIDs.count + 1 else {
            throw BatchError("co-spend columns differ in length")
        }
        guard inputStart.first == 0, inputStart.last == inputAddress.count else {
            throw BatchError("co-spend input offsets do not span the address column")
        }
        var k = 0
        for t in 0..<txIDs.count {
            guard inputStart[t] <= inputStart[t + 1] else { throw BatchError("co-spend offsets of transaction \(t) are out of order") }
            if candidates.count > 0, Self.isCandidate(flags: flags[t], inputCount: inputStart[t + 1] - inputStart[t]) {
                guard k < candidates.count, candidates.txIDs[k] == txIDs[t] else {
                    throw BatchError("CoinJoin candidate \(k) is not transaction \(txIDs[t])")
                }
                k += 1
            }
        }
        guard candidates.count == 0 || k == candidates.count else { throw BatchError("more CoinJoin candidates than flagged transactions") }
        self.txIDs = txIDs
        self.flags = flags
        self.inputStart = inputStart
        self.inputAddress = inputAddress
        self.candidates = candidates
        self.addressBound = addressBound
    }

    /// The co-spend view of a full batch (the candidates are the batch's own transactions).
    public init(_ batch: TransactionBatch) {
        var flags: [UInt8] = [], starts: [Int] = [0], addresses: [UInt32] = []
        let candidates = TransactionBatch()
        for t in 0..<batch.count {
            let v = batch.view(t)
            var f: UInt8 = v.isCoinbase ? Self.coinbaseFlag : 0
            if Self.hasEqualValues(v.outputs.map { batch.outputValue[$0] }) { f |= Self.equalOutputsFlag }
            flags.append(f)
            for i in v.inputs { addresses.append(batch.inputAddress[i]) }
            starts.append(addresses.count)
            if Self.isCandidate(flags: f, inputCount: v.inputCount) {
                candidates.beginTransaction(id: v.id, version: v.version, lockTime: v.lockTime, isCoinbase: v.isCoinbase)
                for i in v.inputs {
                    candidates.appendInput(address: batch.inputAddress[i], value: batch.inputValue[i], kind: batch.inputKind[i],
                                           sequence: batch.inputSequence[i])
                }
                for o in v.outputs {
                    candidates.appendOutput(address: batch.outputAddress[o], value: batch.outputValue[o], kind: batch.outputKind[o],
                                            spender: batch.outputSpender[o])
                }
            }
        }
        self.txIDs = batch.txIDs
        self.flags = flags
        self.inputStart = starts
        self.inputAddress = addresses
        self.candidates = candidates
        self.addressBound = batch.addressBound
    }

    public var count: Int { txIDs.count }

    /// Whether a CoinJoin exclusion could match: not a coinbase, two or more inputs, equal outputs.
    @inlinable public static func isCandidate(flags: UInt8, inputCount: Int) -> Bool {
        flags & (coinbaseFlag | equalOutputsFlag) == equalOutputsFlag && inputCount >= 2
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
