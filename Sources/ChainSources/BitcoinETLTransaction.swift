import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// One bitcoin-etl `transactions.json` row read on its own, without its block row: what a reader of one shard
/// or one Spark partition gets (`spoor cluster map`). Decoded by the same rows and checks as `BitcoinETLSource`:
/// a non-coinbase row is rebuilt and must hash to its stated txid; a coinbase row, which cannot be rebuilt
/// without its block's `coinbase_param`, keeps its stated txid and only its outputs are read (a coinbase
/// spends nothing, so no clustering decision reads its inputs).
public struct BitcoinETLTransaction: Sendable {
    /// What an enriched input states about the output it spends (bitcoin-etl's `type`, `addresses`, `value`).
    public struct Input: Sendable, Equatable {
        /// The spent output's address: the one address the row lists, for a type that has one (not for
        /// `multisig`, `nulldata` or `nonstandard`, whose listed addresses, where any, are made up or per key).
        public var address: String?
        public var kind: ScriptKind
        public var value: Int64
        public var sequence: UInt32
    }

    public var txid: Txid
    public var blockNumber: Int?
    /// Position in the block.
    public var index: Int?
    public var isCoinbase: Bool
    public var version: Int32
    public var lockTime: UInt32
    /// Empty for a coinbase.
    public var inputs: [Input]
    public var outputs: [TxOut]
    /// The network the row's stated output addresses belong to, where their prefix tells (bech32 always; base58
    /// only for mainnet, whose prefixes no test network shares).
    public var statedNetwork: Network?

    static let typesWithoutAddress: Set<ScriptKind> = [.multisig, .nulldata, .nonstandard]

    /// Decodes and checks one line.
    /// - Throws: `SourceError` at `location` for malformed JSON, a field out of range, or a txid mismatch.
    public static func decode(_ line: [UInt8], at location: SourceLocation) throws(SourceError) -> BitcoinETLTransaction {
        let row = try BitcoinETLSource.decode(ETLTransactionRow.self, line, at: location, what: "transaction")
        let network = row.outputs.lazy.compactMap { $0.addresses?.first }.compactMap(NetworkInference.infer(fromAddress:)).first
        guard let txid = Txid(hex: row.hash) else {
            throw SourceError("transaction \(row.hash): `hash` is not 64 hex digits", at: location)
        }
        if row.is_coinbase {
            return BitcoinETLTransaction(txid: txid, blockNumber: row.block_number, index: row.index, isCoinbase: true,
                                         version: try BitcoinETLSource.version(row, at: location), lockTime: row.lock_time,
                                         inputs: [], outputs: try BitcoinETLSource.outputs(row, at: location),
                                         statedNetwork: network)
        }
        let (tx, _) = try BitcoinETLSource.makeTransaction(row, coinbaseScript: nil, at: location)
        var inputs: [Input] = []
        inputs.reserveCapacity(tx.inputs.count)
        for (input, stated) in zip(tx.inputs, row.inputs.sorted { $0.index < $1.index }) {
            let kind = stated.type.flatMap(ScriptKind.init(rawValue:)) ?? .nonstandard
            var address: String?
            if let listed = stated.addresses, listed.count == 1, stated.type != nil, !typesWithoutAddress.contains(kind) {
                address = listed[0]
            }
            inputs.append(Input(address: address, kind: kind, value: stated.value?.value ?? 0, sequence: input.sequence))
        }
        return BitcoinETLTransaction(txid: txid, blockNumber: row.block_number, index: row.index, isCoinbase: false,
                                     version: tx.version, lockTime: tx.lockTime, inputs: inputs, outputs: tx.outputs,
                                     statedNetwork: network)
    }
}
