import Foundation

/// A sample chain's answers (`truth/transactions.json`), decoded from bytes. Read only by `spoor
/// evaluate`, the clustering benchmark and tests — never by the analysis.
public struct GroundTruth: Sendable {
    public struct Output: Sendable, Hashable {
        public var n: Int
        public var address: String?
        public var entity: String?
        public var isChange: Bool
    }
    public struct Transaction: Sendable {
        public var kind: String
        public var outputs: [Output]
        /// Entities owning the inputs (empty for a coinbase).
        public var senders: [String]
    }
    /// Display-hex txid → transaction.
    public var transactions: [String: Transaction]

    public init(transactionsJSON: Data, file: String = "truth/transactions.json") throws(TruthError) {
        struct RawOutput: Decodable {
            var n: Int
            var address: String?
            var entity: String?
            var is_change: Bool?
        }
        struct RawTx: Decodable {
            var kind: String
            var outputs: [RawOutput]
            var senders: [String]?
        }
        do {
            let raw = try JSONDecoder().decode([String: RawTx].self, from: transactionsJSON)
            transactions = raw.mapValues { t in
                Transaction(kind: t.kind, outputs: t.outputs.map {
                    Output(n: $0.n, address: $0.address, entity: $0.entity, isChange: $0.is_change ?? false)
                }, senders: t.senders ?? [])
            }
        } catch {
            throw TruthError(file: file, message: "\(error)")
        }
    }

    /// Owner of every on-chain address that a wallet owns (an address has one owner in the truth).
    public var ownerOfAddress: [String: String] {
        var m: [String: String] = [:]
        for t in transactions.values {
            for o in t.outputs { if let a = o.address, let e = o.entity { m[a] = e } }
        }
        return m
    }

    /// (txid, vout) of every true change output.
    public var changeOutputs: [(txid: String, vout: Int)] {
        transactions.flatMap { (txid, t) in t.outputs.filter(\.isChange).map { (txid, $0.n) } }
    }

    public func txids(ofKind kind: String) -> [String] {
        transactions.filter { $0.value.kind == kind }.map(\.key).sorted()
    }
}

public struct TruthError: Error, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
}
