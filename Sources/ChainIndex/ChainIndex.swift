import BitcoinPrimitives

/// The chain, or the part of it an analysis needs, as dense columns: one flat array per field (a struct of
/// arrays, BlockSci's and payjoin/tx-indexer's layout). Clustering and tracing read only this; the case store
/// fills it (`ChainIndexLoader` in CaseStore), tests and benchmarks build it by hand.
///
/// **Ids.** Transactions are `0 ..< txCount` in chain order (block height, position; loose transactions last).
/// Inputs `0 ..< inputCount` and outputs `0 ..< outputCount` are grouped by transaction in `vin`/`vout` order:
/// transaction `t`'s are `inputStart[t] ..< inputStart[t + 1]` and `outputStart[t] ..< outputStart[t + 1]`
/// (prefix sums, `txCount + 1` entries each). Addresses are the case database's dense address ids, `UInt32`,
/// `noAddress` for an output or input that pays none (OP_RETURN, bare multisig, an unresolved input).
///
/// **Links** (`.links` columns): `inputSpends[i]` is the output input `i` spends and `outputSpentBy[o]` the input
/// that spends output `o`; `noLink` where there is none (a coinbase's or an unresolved input, an unspent output),
/// `notLoaded` where the other end is a transaction this index does not hold (an index of part of a chain).
///
/// **Optional columns.** What every reader needs is always filled: the store id, version, lock time and stored
/// coinbase flag of each transaction; each input's address, value, script kind and sequence; each output's
/// address, value and script kind. Txids (32 bytes each), block heights and times, the links and the spender
/// summaries are filled only when the loader is asked for them (`Columns`), so clustering a large chain does not
/// pay for what only tracing reads; an empty column is one that was not loaded.
///
/// **Files and engines.** Every column is a flat array of fixed-width values, so an index can be written to a
/// file column by column and mapped back, or handed to a columnar engine (Arrow, Parquet, Spark) as it is.
///
/// A reference type so views (`TxView` in Clustering) hold it without copying; stored properties skip the
/// runtime exclusivity check (`@exclusivity(unchecked)`, a tenth of clustering's time when it was on). An index
/// is built by one thread and then only read: share it only once built (hence `@unchecked Sendable`).
public final class ChainIndex: @unchecked Sendable {
    public static let noAddress = UInt32.max
    /// A link with nothing at the other end.
    public static let noLink = -1
    /// A link to a transaction this index does not hold.
    public static let notLoaded = -2

    /// The optional column groups (see the type's documentation).
    public struct Columns: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `txids`.
        public static let txids = Columns(rawValue: 1)
        /// `txHeight`, `txTime`.
        public static let blockTimes = Columns(rawValue: 2)
        /// `inputSpends`, `outputSpentBy`, and the derived `inputTx`, `outputTx`.
        public static let links = Columns(rawValue: 4)
        /// `outputSpender`: how each output's spender looks (`SpenderShape`), where the spender is held.
        public static let spenderShapes = Columns(rawValue: 8)
        /// What tracing reads.
        public static let tracing: Columns = [.txids, .blockTimes, .links]
    }

    // Transactions.
    /// The case database's `tx.id` (`TxID` in Clustering): what evidence records name.
    @exclusivity(unchecked) public internal(set) var txStoreID: [UInt32] = []
    @exclusivity(unchecked) public internal(set) var txVersion: [Int32] = []
    @exclusivity(unchecked) public internal(set) var txLockTime: [UInt32] = []
    /// The stored flag: one input spending nothing is not enough to tell a coinbase from a transaction whose
    /// funding transaction is not stored.
    @exclusivity(unchecked) public internal(set) var txIsCoinbase: [Bool] = []
    @exclusivity(unchecked) public internal(set) var inputStart: [Int] = [0]
    @exclusivity(unchecked) public internal(set) var outputStart: [Int] = [0]
    @exclusivity(unchecked) public internal(set) var txids: [Txid] = []
    /// Height of the block holding the transaction, -1 for a loose one.
    @exclusivity(unchecked) public internal(set) var txHeight: [Int32] = []
    /// Block time (unix seconds) of the block holding the transaction, 0 for a loose one.
    @exclusivity(unchecked) public internal(set) var txTime: [Int64] = []

    // Inputs.
    @exclusivity(unchecked) public internal(set) var inputAddress: [UInt32] = []
    @exclusivity(unchecked) public internal(set) var inputValue: [Int64] = []
    @exclusivity(unchecked) public internal(set) var inputKind: [UInt8] = []
    @exclusivity(unchecked) public internal(set) var inputSequence: [UInt32] = []
    @exclusivity(unchecked) public internal(set) var inputSpends: [Int] = []
    @exclusivity(unchecked) public internal(set) var inputTx: [Int] = []

    // Outputs.
    @exclusivity(unchecked) public internal(set) var outputAddress: [UInt32] = []
    @exclusivity(unchecked) public internal(set) var outputValue: [Int64] = []
    @exclusivity(unchecked) public internal(set) var outputKind: [UInt8] = []
    /// `SpenderShape.packedValue` of the output's spender, 0 when unspent or unknown.
    @exclusivity(unchecked) public internal(set) var outputSpender: [UInt64] = []
    @exclusivity(unchecked) public internal(set) var outputSpentBy: [Int] = []
    @exclusivity(unchecked) public internal(set) var outputTx: [Int] = []

    /// Largest address id referenced plus one (0 when empty), or more when the loader knows more addresses.
    @exclusivity(unchecked) public internal(set) var addressBound: Int = 0
    /// Outputs paying each address and each address's script kind: built for tracing (`ChainIndex+Addresses`).
    @exclusivity(unchecked) var addresses: AddressIndex?

    public init() {}

    public var txCount: Int { txStoreID.count }
    public var inputCount: Int { inputAddress.count }
    public var outputCount: Int { outputAddress.count }

    @inlinable public func inputs(of tx: Int) -> Range<Int> { inputStart[tx] ..< inputStart[tx + 1] }
    @inlinable public func outputs(of tx: Int) -> Range<Int> { outputStart[tx] ..< outputStart[tx + 1] }
    /// The `vout` of an output (needs the `.links` columns).
    @inlinable public func vout(of output: Int) -> Int { output - outputStart[outputTx[output]] }

    /// An output's address as tracing counts addresses: an `Int`, -1 for none.
    @inlinable public func address(ofOutput o: Int) -> Int {
        let a = outputAddress[o]
        return a == Self.noAddress ? -1 : Int(a)
    }

    /// An input's address as tracing counts addresses: an `Int`, -1 for none.
    @inlinable public func address(ofInput i: Int) -> Int {
        let a = inputAddress[i]
        return a == Self.noAddress ? -1 : Int(a)
    }

    /// Finds a transaction by txid (linear; for commands and tests, not inner loops).
    public func transactionIndex(of txid: Txid) -> Int? { txids.firstIndex(of: txid) }

    // MARK: Appending

    public func reserve(transactions: Int, inputs: Int, outputs: Int) {
        txStoreID.reserveCapacity(transactions); txVersion.reserveCapacity(transactions)
        txLockTime.reserveCapacity(transactions); txIsCoinbase.reserveCapacity(transactions)
        inputStart.reserveCapacity(transactions + 1); outputStart.reserveCapacity(transactions + 1)
        inputAddress.reserveCapacity(inputs); inputValue.reserveCapacity(inputs)
        inputKind.reserveCapacity(inputs); inputSequence.reserveCapacity(inputs)
        outputAddress.reserveCapacity(outputs); outputValue.reserveCapacity(outputs)
        outputKind.reserveCapacity(outputs); outputSpender.reserveCapacity(outputs)
    }

    /// Empties the index, keeping its storage (a reader that views one transaction at a time reuses one index).
    public func removeAll() {
        txStoreID.removeAll(keepingCapacity: true); txVersion.removeAll(keepingCapacity: true)
        txLockTime.removeAll(keepingCapacity: true); txIsCoinbase.removeAll(keepingCapacity: true)
        inputStart.removeAll(keepingCapacity: true); outputStart.removeAll(keepingCapacity: true)
        inputStart.append(0); outputStart.append(0)
        inputAddress.removeAll(keepingCapacity: true); inputValue.removeAll(keepingCapacity: true)
        inputKind.removeAll(keepingCapacity: true); inputSequence.removeAll(keepingCapacity: true)
        outputAddress.removeAll(keepingCapacity: true); outputValue.removeAll(keepingCapacity: true)
        outputKind.removeAll(keepingCapacity: true); outputSpender.removeAll(keepingCapacity: true)
        txids.removeAll(keepingCapacity: true); txHeight.removeAll(keepingCapacity: true)
        txTime.removeAll(keepingCapacity: true)
        inputSpends.removeAll(keepingCapacity: true); inputTx.removeAll(keepingCapacity: true)
        outputSpentBy.removeAll(keepingCapacity: true); outputTx.removeAll(keepingCapacity: true)
        addressBound = 0
        addresses = nil
    }

    /// Starts a transaction; follow with its `appendInput` and `appendOutput` calls. Fills the always-present
    /// columns only (hand-built indexes for clustering; `ChainIndex.Builder` makes linked ones for tracing).
    public func beginTransaction(storeID: UInt32, version: Int32, lockTime: UInt32, isCoinbase: Bool) {
        txStoreID.append(storeID); txVersion.append(version); txLockTime.append(lockTime); txIsCoinbase.append(isCoinbase)
        inputStart.append(inputAddress.count)
        outputStart.append(outputAddress.count)
    }

    public func appendInput(address: UInt32, value: Int64, kind: UInt8, sequence: UInt32) {
        inputAddress.append(address); inputValue.append(value); inputKind.append(kind); inputSequence.append(sequence)
        inputStart[inputStart.count - 1] = inputAddress.count
        if address != Self.noAddress && Int(address) >= addressBound { addressBound = Int(address) + 1 }
    }

    public func appendOutput(address: UInt32, value: Int64, kind: UInt8, spender: UInt64) {
        outputAddress.append(address); outputValue.append(value); outputKind.append(kind); outputSpender.append(spender)
        outputStart[outputStart.count - 1] = outputAddress.count
        if address != Self.noAddress && Int(address) >= addressBound { addressBound = Int(address) + 1 }
    }

    /// Appends transaction `t` of `other`: its always-present columns (a loader reordering what it read).
    public func appendTransaction(_ t: Int, of other: ChainIndex) {
        beginTransaction(storeID: other.txStoreID[t], version: other.txVersion[t], lockTime: other.txLockTime[t],
                         isCoinbase: other.txIsCoinbase[t])
        for i in other.inputs(of: t) {
            appendInput(address: other.inputAddress[i], value: other.inputValue[i], kind: other.inputKind[i],
                        sequence: other.inputSequence[i])
        }
        for o in other.outputs(of: t) {
            appendOutput(address: other.outputAddress[o], value: other.outputValue[o], kind: other.outputKind[o],
                         spender: other.outputSpender[o])
        }
    }

    /// Sets the spender of an output already appended (builders learn spenders after the outputs).
    public func setSpender(ofOutputAt index: Int, _ shape: SpenderShape) {
        outputSpender[index] = shape.packedValue
    }

    // MARK: Whole columns

    /// Takes prebuilt columns (a loader scatters rows straight into them). Optional columns may be empty.
    /// - Throws: `ChainIndexError` when columns disagree in length or the start offsets are not ordered.
    public init(txStoreID: [UInt32], txVersion: [Int32], txLockTime: [UInt32], txIsCoinbase: [Bool],
                inputStart: [Int], outputStart: [Int],
                inputAddress: [UInt32], inputValue: [Int64], inputKind: [UInt8], inputSequence: [UInt32],
                outputAddress: [UInt32], outputValue: [Int64], outputKind: [UInt8],
                txids: [Txid] = [], txHeight: [Int32] = [], txTime: [Int64] = [],
                inputSpends: [Int] = [], outputSpentBy: [Int] = [], outputSpender: [UInt64] = [],
                addressBound: Int = 0) throws(ChainIndexError) {
        let n = txStoreID.count, inputs = inputAddress.count, outputs = outputAddress.count
        guard txVersion.count == n, txLockTime.count == n, txIsCoinbase.count == n,
              inputStart.count == n + 1, outputStart.count == n + 1,
              txids.isEmpty || txids.count == n, txHeight.isEmpty || txHeight.count == n, txTime.isEmpty || txTime.count == n
        else { throw ChainIndexError("transaction columns differ in length") }
        guard inputValue.count == inputs, inputKind.count == inputs, inputSequence.count == inputs,
              inputSpends.isEmpty || inputSpends.count == inputs
        else { throw ChainIndexError("input columns differ in length") }
        guard outputValue.count == outputs, outputKind.count == outputs,
              outputSpender.isEmpty || outputSpender.count == outputs, outputSpentBy.isEmpty || outputSpentBy.count == outputs
        else { throw ChainIndexError("output columns differ in length") }
        guard inputStart.first == 0, inputStart.last == inputs, outputStart.first == 0, outputStart.last == outputs
        else { throw ChainIndexError("start offsets do not span the input and output columns") }
        for t in 0 ..< n where inputStart[t] > inputStart[t + 1] || outputStart[t] > outputStart[t + 1] {
            throw ChainIndexError("start offsets of transaction \(t) are out of order")
        }
        self.txStoreID = txStoreID; self.txVersion = txVersion; self.txLockTime = txLockTime
        self.txIsCoinbase = txIsCoinbase; self.inputStart = inputStart; self.outputStart = outputStart
        self.inputAddress = inputAddress; self.inputValue = inputValue; self.inputKind = inputKind
        self.inputSequence = inputSequence
        self.outputAddress = outputAddress; self.outputValue = outputValue; self.outputKind = outputKind
        self.outputSpender = outputSpender.isEmpty ? [UInt64](repeating: 0, count: outputs) : outputSpender
        self.txids = txids; self.txHeight = txHeight; self.txTime = txTime
        self.inputSpends = inputSpends; self.outputSpentBy = outputSpentBy
        var bound = addressBound
        for a in inputAddress where a != Self.noAddress && Int(a) >= bound { bound = Int(a) + 1 }
        for a in outputAddress where a != Self.noAddress && Int(a) >= bound { bound = Int(a) + 1 }
        self.addressBound = bound
        if !inputSpends.isEmpty || !outputSpentBy.isEmpty { fillTransactionOfEachRow() }
    }

    /// Sets the columns tracing reads on an index appended transaction by transaction (a store's partial load).
    /// - Precondition: one entry per transaction, input and output.
    public func setTracingColumns(txids: [Txid], txHeight: [Int32], txTime: [Int64], inputSpends: [Int], outputSpentBy: [Int]) {
        precondition(txids.count == txCount && txHeight.count == txCount && txTime.count == txCount
                     && inputSpends.count == inputCount && outputSpentBy.count == outputCount, "tracing columns differ in length")
        self.txids = txids; self.txHeight = txHeight; self.txTime = txTime
        self.inputSpends = inputSpends; self.outputSpentBy = outputSpentBy
        fillTransactionOfEachRow()
    }

    /// `inputTx` and `outputTx`: the transaction of each input and output (what the links lead to).
    func fillTransactionOfEachRow() {
        outputTx = [Int](repeating: 0, count: outputCount)
        inputTx = [Int](repeating: 0, count: inputCount)
        for t in 0 ..< txCount {
            for o in outputStart[t] ..< outputStart[t + 1] { outputTx[o] = t }
            for i in inputStart[t] ..< inputStart[t + 1] { inputTx[i] = t }
        }
    }
}

public struct ChainIndexError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
