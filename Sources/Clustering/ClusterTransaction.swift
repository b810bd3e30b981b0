import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex

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
                    sequence: UInt32 = SequenceNumber.maxReplaceable.rawValue) {
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
                     signalsRBF: inputs.contains { SequenceNumber.signalsReplaceability($0.sequence) },
                     inputCount: inputs.count, outputCount: outputs.count)
    }
}

extension ChainIndex {
    /// An index of hand-built transactions (tests, small examples).
    public convenience init(_ transactions: [ClusterTransaction]) {
        self.init()
        for t in transactions { append(t) }
    }

    public func append(_ t: ClusterTransaction) {
        beginTransaction(storeID: t.id.raw, version: t.version, lockTime: t.lockTime, isCoinbase: t.isCoinbase)
        for i in t.inputs {
            appendInput(address: i.address?.raw ?? Self.noAddress, value: i.value.satoshis, kind: i.kind.code,
                        sequence: i.sequence)
        }
        for o in t.outputs {
            appendOutput(address: o.address?.raw ?? Self.noAddress, value: o.value.satoshis, kind: o.kind.code,
                         spender: o.spender?.packedValue ?? 0)
        }
    }

    /// Clustering's view of transaction `i` (0-based position in this index).
    public func view(_ i: Int) -> TxView {
        TxView(index: self, position: i, inputs: inputs(of: i), outputs: outputs(of: i))
    }
}

/// Input a clusterer cannot work on: a profile that needs columns the caller did not give, an address beyond
/// the run's bound, a co-spend projection that disagrees with itself.
public struct BatchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
