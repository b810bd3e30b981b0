import BitcoinAddresses
import BitcoinPrimitives

/// How the transaction that later spends an output looks: enough for the change heuristics that compare
/// a spender's habits with the payer's (`change.fingerprint`, `change.peel-chain`), and whether it spent
/// the output in the same block (`change.same-block-spend`).
public struct SpenderShape: Hashable, Sendable {
    public var version: Int32
    public var lockTimeIsSet: Bool
    public var signalsRBF: Bool
    public var inputCount: Int
    public var outputCount: Int
    /// The spender is in the same block as the output's transaction, or both are unconfirmed (loose): it
    /// was made while the output was still unconfirmed. A fact about the pair, not about the spender alone.
    public var inSameBlock: Bool

    public init(version: Int32, lockTimeIsSet: Bool, signalsRBF: Bool, inputCount: Int, outputCount: Int,
                inSameBlock: Bool = false) {
        self.version = version
        self.lockTimeIsSet = lockTimeIsSet
        self.signalsRBF = signalsRBF
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.inSameBlock = inSameBlock
    }

    /// Packs into 64 bits for the columnar batch (0 = unknown / unspent): bit 0 set (spent), bit 1 locktime,
    /// bit 2 RBF, bit 3 same block, bits 8–15 version, 16–31 inputs, 32–47 outputs. Counts saturate at 65 535,
    /// versions outside 0…254 read back as 255 (no wallet habit is lost: real versions are 1, 2 or 3).
    var packed: UInt64 { packedValue }

    /// The 64-bit form stored in `TransactionBatch.outputSpender`.
    public var packedValue: UInt64 {
        let v = UInt64(version >= 0 && version < 255 ? UInt8(version) : 255)
        return 1 | (lockTimeIsSet ? 2 : 0) | (signalsRBF ? 4 : 0) | (inSameBlock ? 8 : 0) | (v << 8)
            | (UInt64(min(inputCount, 0xFFFF)) << 16) | (UInt64(min(outputCount, 0xFFFF)) << 32)
    }

    /// The inverse of `packedValue` (nil for 0: unspent or unknown).
    public init?(packed p: UInt64) {
        guard p & 1 == 1 else { return nil }
        let v = (p >> 8) & 0xFF
        version = Int32(v)  // Cast ok: masked to 8 bits.
        lockTimeIsSet = p & 2 != 0
        signalsRBF = p & 4 != 0
        inSameBlock = p & 8 != 0
        inputCount = Int((p >> 16) & 0xFFFF)
        outputCount = Int((p >> 32) & 0xFFFF)
    }
}

/// One transaction as clustering sees it: dense address ids, values, script kinds and the few fields
/// the wallet-fingerprint heuristics read. Built by hand in tests, by the store loader in the product.
public struct ClusterTransaction: Hashable, Sendable {
    public struct Input: Hashable, Sendable {
        /// nil when the spent output pays no address (bare multisig, nonstandard) or was never ingested.
        public var address: AddressID?
        public var value: Amount
        public var kind: ScriptKind
        public var sequence: UInt32
        public init(address: AddressID?, value: Amount, kind: ScriptKind = .witnessV0KeyHash,
                    sequence: UInt32 = 0xFFFF_FFFD) {
            self.address = address
            self.value = value
            self.kind = kind
            self.sequence = sequence
        }
    }

    public struct Output: Hashable, Sendable {
        public var address: AddressID?
        public var value: Amount
        public var kind: ScriptKind
        /// The transaction that spends this output, if it is spent and known.
        public var spender: SpenderShape?
        public init(address: AddressID?, value: Amount, kind: ScriptKind = .witnessV0KeyHash,
                    spender: SpenderShape? = nil) {
            self.address = address
            self.value = value
            self.kind = kind
            self.spender = spender
        }
    }

    public var id: TxID
    public var version: Int32
    public var lockTime: UInt32
    public var isCoinbase: Bool
    public var inputs: [Input]
    public var outputs: [Output]

    public init(id: TxID, version: Int32 = 2, lockTime: UInt32 = 0, isCoinbase: Bool = false,
                inputs: [Input], outputs: [Output]) {
        self.id = id
        self.version = version
        self.lockTime = lockTime
        self.isCoinbase = isCoinbase
        self.inputs = inputs
        self.outputs = outputs
    }

    /// This transaction's habits, as a later spender of someone's output would show them.
    public var shape: SpenderShape {
        SpenderShape(version: version, lockTimeIsSet: lockTime != 0,
                     signalsRBF: inputs.contains { $0.sequence < 0xFFFF_FFFE },
                     inputCount: inputs.count, outputCount: outputs.count)
    }
}

/// Transactions in chain order, column by column (struct of arrays, BlockSci's layout lesson): the hot
/// loop reads a few contiguous arrays instead of chasing one heap object per transaction.
///
/// Stored properties skip the runtime exclusivity check (`@exclusivity(unchecked)`): a batch is built and read
/// by one thread, and the checks were a tenth of clustering's time when the co-spend path rebuilds a one-transaction
/// batch per CoinJoin candidate.
public final class TransactionBatch {
    public static let noAddress = UInt32.max

    @exclusivity(unchecked) public private(set) var txIDs: [UInt32] = []
    @exclusivity(unchecked) public private(set) var versions: [Int32] = []
    @exclusivity(unchecked) public private(set) var lockTimes: [UInt32] = []
    @exclusivity(unchecked) public private(set) var coinbase: [Bool] = []
    /// Transaction i's inputs start at `inputStart[i]` and end where the next transaction's start (or at
    /// the end of the input columns for the last one): appending needs no closing step.
    @exclusivity(unchecked) public private(set) var inputStart: [Int] = []
    @exclusivity(unchecked) public private(set) var outputStart: [Int] = []

    @exclusivity(unchecked) public private(set) var inputAddress: [UInt32] = []
    @exclusivity(unchecked) public private(set) var inputValue: [Int64] = []
    @exclusivity(unchecked) public private(set) var inputKind: [UInt8] = []
    @exclusivity(unchecked) public private(set) var inputSequence: [UInt32] = []

    @exclusivity(unchecked) public private(set) var outputAddress: [UInt32] = []
    @exclusivity(unchecked) public private(set) var outputValue: [Int64] = []
    @exclusivity(unchecked) public private(set) var outputKind: [UInt8] = []
    /// `SpenderShape.packed`, 0 when unspent or unknown.
    @exclusivity(unchecked) public private(set) var outputSpender: [UInt64] = []

    public init() {}

    /// Takes prebuilt columns (the store loader scatters rows straight into them).
    /// - Throws: `BatchError` when the columns disagree in length or the start offsets are not ordered.
    public init(txIDs: [UInt32], versions: [Int32], lockTimes: [UInt32], coinbase: [Bool],
                inputStart: [Int], outputStart: [Int],
                inputAddress: [UInt32], inputValue: [Int64], inputKind: [UInt8], inputSequence: [UInt32],
                outputAddress: [UInt32], outputValue: [Int64], outputKind: [UInt8], outputSpender: [UInt64]) throws(BatchError) {
        let n = txIDs.count
        guard versions.count == n, lockTimes.count == n, coinbase.count == n, inputStart.count == n, outputStart.count == n
        else { throw BatchError("transaction columns differ in length") }
        guard inputValue.count == inputAddress.count, inputKind.count == inputAddress.count,
              inputSequence.count == inputAddress.count
        else { throw BatchError("input columns differ in length") }
        guard outputValue.count == outputAddress.count, outputKind.count == outputAddress.count,
              outputSpender.count == outputAddress.count
        else { throw BatchError("output columns differ in length") }
        for i in 0..<n {
            let inEnd = i + 1 < n ? inputStart[i + 1] : inputAddress.count
            let outEnd = i + 1 < n ? outputStart[i + 1] : outputAddress.count
            guard inputStart[i] >= 0, inputStart[i] <= inEnd, outputStart[i] >= 0, outputStart[i] <= outEnd
            else { throw BatchError("start offsets of transaction \(i) are out of order") }
        }
        self.txIDs = txIDs; self.versions = versions; self.lockTimes = lockTimes; self.coinbase = coinbase
        self.inputStart = inputStart; self.outputStart = outputStart
        self.inputAddress = inputAddress; self.inputValue = inputValue; self.inputKind = inputKind
        self.inputSequence = inputSequence
        self.outputAddress = outputAddress; self.outputValue = outputValue; self.outputKind = outputKind
        self.outputSpender = outputSpender
        var bound = 0
        for a in inputAddress where a != Self.noAddress && Int(a) >= bound { bound = Int(a) + 1 }
        for a in outputAddress where a != Self.noAddress && Int(a) >= bound { bound = Int(a) + 1 }
        addressBound = bound
    }

    public convenience init(_ transactions: [ClusterTransaction]) {
        self.init()
        for t in transactions { append(t) }
    }

    public var count: Int { txIDs.count }
    /// Largest address id referenced plus one (0 when empty).
    @exclusivity(unchecked) public private(set) var addressBound: Int = 0

    public func reserve(transactions: Int, inputs: Int, outputs: Int) {
        txIDs.reserveCapacity(transactions); versions.reserveCapacity(transactions)
        lockTimes.reserveCapacity(transactions); coinbase.reserveCapacity(transactions)
        inputStart.reserveCapacity(transactions + 1); outputStart.reserveCapacity(transactions + 1)
        inputAddress.reserveCapacity(inputs); inputValue.reserveCapacity(inputs)
        inputKind.reserveCapacity(inputs); inputSequence.reserveCapacity(inputs)
        outputAddress.reserveCapacity(outputs); outputValue.reserveCapacity(outputs)
        outputKind.reserveCapacity(outputs); outputSpender.reserveCapacity(outputs)
    }

    /// Empties the batch, keeping its storage (a reader that views one transaction at a time reuses one batch).
    public func removeAll() {
        txIDs.removeAll(keepingCapacity: true); versions.removeAll(keepingCapacity: true)
        lockTimes.removeAll(keepingCapacity: true); coinbase.removeAll(keepingCapacity: true)
        inputStart.removeAll(keepingCapacity: true); outputStart.removeAll(keepingCapacity: true)
        inputAddress.removeAll(keepingCapacity: true); inputValue.removeAll(keepingCapacity: true)
        inputKind.removeAll(keepingCapacity: true); inputSequence.removeAll(keepingCapacity: true)
        outputAddress.removeAll(keepingCapacity: true); outputValue.removeAll(keepingCapacity: true)
        outputKind.removeAll(keepingCapacity: true); outputSpender.removeAll(keepingCapacity: true)
        addressBound = 0
    }

    /// Starts a transaction; follow with its `appendInput` and `appendOutput` calls.
    public func beginTransaction(id: TxID, version: Int32, lockTime: UInt32, isCoinbase: Bool) {
        txIDs.append(id.raw); versions.append(version); lockTimes.append(lockTime); coinbase.append(isCoinbase)
        inputStart.append(inputAddress.count)
        outputStart.append(outputAddress.count)
    }

    public func appendInput(address: UInt32, value: Int64, kind: UInt8, sequence: UInt32) {
        inputAddress.append(address); inputValue.append(value); inputKind.append(kind); inputSequence.append(sequence)
        if address != Self.noAddress && Int(address) >= addressBound { addressBound = Int(address) + 1 }
    }

    public func appendOutput(address: UInt32, value: Int64, kind: UInt8, spender: UInt64) {
        outputAddress.append(address); outputValue.append(value); outputKind.append(kind); outputSpender.append(spender)
        if address != Self.noAddress && Int(address) >= addressBound { addressBound = Int(address) + 1 }
    }

    /// Sets the spender of an output already appended (the loader learns spenders after the outputs).
    public func setSpender(ofOutputAt index: Int, _ shape: SpenderShape) {
        outputSpender[index] = shape.packed
    }

    public func append(_ t: ClusterTransaction) {
        beginTransaction(id: t.id, version: t.version, lockTime: t.lockTime, isCoinbase: t.isCoinbase)
        for i in t.inputs {
            appendInput(address: i.address?.raw ?? Self.noAddress, value: i.value.satoshis, kind: i.kind.code,
                        sequence: i.sequence)
        }
        for o in t.outputs {
            appendOutput(address: o.address?.raw ?? Self.noAddress, value: o.value.satoshis, kind: o.kind.code,
                         spender: o.spender?.packed ?? 0)
        }
    }

    /// The view of transaction `i` (0-based position in this batch).
    public func view(_ i: Int) -> TxView {
        let inEnd = i + 1 < txIDs.count ? inputStart[i + 1] : inputAddress.count
        let outEnd = i + 1 < txIDs.count ? outputStart[i + 1] : outputAddress.count
        return TxView(batch: self, index: i, inputs: inputStart[i]..<inEnd, outputs: outputStart[i]..<outEnd)
    }
}

public struct BatchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
