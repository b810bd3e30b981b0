import ArgumentParser
import BitcoinPrimitives
import CaseStore

/// `spoor tx TXID`: a stored transaction with where its inputs came from and where its outputs went.
struct TxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx", abstract: "Look up a transaction: inputs with their sources, outputs with their spenders.")

    @Argument(help: "The transaction id (64 hex digits, as explorers show it).")
    var txid: String
    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let id = Txid(hex: txid) else { throw CommandFailure("'\(txid)' is not a txid (64 hex digits)") }
        let database = try CaseDatabase(path: db, mode: .readOnly)
        let found = try StoreQueries.transactions(id, in: database)
        guard !found.isEmpty else { throw CommandFailure("transaction \(id) is not in \(db)") }
        if output.json {
            try printJSON(found.count == 1 ? TxJSON.one(found[0]) : TxJSON.many(found))
            return
        }
        for (k, t) in found.enumerated() {
            if k > 0 { print("") }
            print(Self.text(t))
        }
    }

    enum TxJSON: Encodable {
        case one(TxDetail), many([TxDetail])
        func encode(to encoder: any Encoder) throws {
            switch self {
            case .one(let t): try t.encode(to: encoder)
            case .many(let ts): try ts.encode(to: encoder)
            }
        }
    }

    static func text(_ t: TxDetail) -> String {
        var lines = ["txid     \(t.txid)"]
        if let b = t.block {
            lines.append("block    \(b.blockHash) (height \(b.height.map(String.init) ?? "?"), position \(b.position), "
                         + "time \(b.time))")
        } else {
            lines.append("block    none (loose transaction)")
        }
        lines.append("size     \(t.size) bytes, weight \(t.weight)")
        lines.append("fee      " + (t.fee.map { "\($0) sat" } ?? "unknown (an input's value is not stored)"))
        lines.append("inputs   \(t.inputs.count)")
        for i in t.inputs {
            if i.coinbase { lines.append("  #\(i.n) coinbase"); continue }
            let from = i.prevout.map { "\($0.txid):\($0.index)" } ?? "?"
            let value = i.value.map { Amount(satoshis: $0).btcString + " BTC" } ?? "value unknown"
            let link = i.resolved ? "" : " (spent output not stored)"
            lines.append("  #\(i.n) \(value) from \(i.address ?? "no address") spending \(from)\(link)")
        }
        lines.append("outputs  \(t.outputs.count)")
        for o in t.outputs {
            let spender = o.overwritten ? "overwritten by a later coinbase with the same txid (BIP30): never spendable"
                : o.spentBy.map { "spent by \($0.txid) input \($0.index)" } ?? "unspent"
            lines.append("  #\(o.n) \(Amount(satoshis: o.value).btcString) BTC to \(o.address ?? o.scriptKind), \(spender)")
        }
        return lines.joined(separator: "\n")
    }
}
