import ArgumentParser
import BitcoinPrimitives
import CaseStore

/// `spoor address ADDRESS`: what the case database knows about one address.
struct AddressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "address", abstract: "Look up an address: received, sent, balance, activity.")

    @Argument(help: "The address, as the chain's network writes it.")
    var address: String
    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        guard let s = try StoreQueries.address(address, in: database) else {
            throw CommandFailure("address \(address) does not appear in \(db)")
        }
        if output.json {
            try printJSON(s)
            return
        }
        func seen(_ x: Sighting?) -> String {
            guard let x else { return "-" }
            let place = x.height.map { "height \($0)" } ?? "loose"
            return "\(place)\(x.time.map { ", time \($0)" } ?? "") in \(x.txid)"
        }
        print("""
            address       \(s.address) (\(s.scriptKind))
            received      \(Amount(satoshis: s.receivedSat).btcString) BTC in \(s.outputs) outputs
            sent          \(Amount(satoshis: s.sentSat).btcString) BTC from \(s.spentOutputs) outputs
            balance       \(Amount(satoshis: s.balanceSat).btcString) BTC
            transactions  \(s.transactions)
            first seen    \(seen(s.firstSeen))
            last seen     \(seen(s.lastSeen))
            """)
    }
}
