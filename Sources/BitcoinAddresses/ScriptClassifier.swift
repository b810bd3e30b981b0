import BitcoinPrimitives

/// What an output script is and which address (if any) it pays.
public struct ScriptClassification: Sendable, Hashable {
    public var kind: ScriptKind
    /// The address string for this network; nil for nulldata, bare multisig and nonstandard scripts.
    /// A `pubkey` output gets the P2PKH address of its key, as bitcoin-etl does.
    public var address: String?

    public init(kind: ScriptKind, address: String?) {
        self.kind = kind
        self.address = address
    }
}

/// Classifies output scripts and derives their addresses. (Skeleton: filled in by the addresses work.)
public struct ScriptClassifier: Sendable {
    public let network: Network

    public init(network: Network) { self.network = network }

    public func classify(_ script: [UInt8]) -> ScriptClassification {
        ScriptClassification(kind: .nonstandard, address: nil)
    }
}
