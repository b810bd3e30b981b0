import Foundation

/// A small chain with real wallet activity, made by the node's own wallets: coinbases to a miner, payments to
/// every address type Core's wallet makes (segwit v0, taproot, legacy, P2SH-wrapped), a payment with many
/// outputs, a payment that needs many inputs (taproot key-path spends among them), and a spend by the payee.
struct WalletActivity {
    /// The miner's address (its wallet is `miner`).
    var miner: String
    /// The payee of the many-input payment (wallet `site`).
    var site: String
    /// The many-input payment to `site`.
    var sitePayment: String
    /// Every transaction the wallets sent.
    var sent: [String]

    static let wallets = ["miner", "payer", "site"]

    /// About 106 blocks; a few seconds of mining.
    static func build(on node: RegtestNode) throws -> WalletActivity {
        for w in wallets { try node.call("createwallet", [w]) }
        let miner = try node.string("getnewaddress", ["", "bech32"], wallet: "miner")
        try node.mine(101, to: miner)  // coinbase maturity
        var sent: [String] = []

        // The payer gets eight coins of mixed types.
        let types = ["bech32", "bech32m", "legacy", "p2sh-segwit", "bech32", "bech32m", "bech32m", "bech32"]
        for type in types {
            let address = try node.string("getnewaddress", ["", type], wallet: "payer")
            sent.append(try node.string("sendtoaddress", [address, 0.3], wallet: "miner"))
        }
        try node.mine(1, to: miner)

        // One payment with 40 outputs, half of them taproot.
        var outputs: [String: Any] = [:]
        for i in 0..<40 {
            outputs[try node.string("getnewaddress", ["", i % 2 == 0 ? "bech32m" : "bech32"], wallet: "site")] = 0.01
        }
        sent.append(try node.string("sendmany", ["", outputs], wallet: "miner"))
        try node.mine(1, to: miner)

        // 2.0 of the payer's 2.4 needs at least seven of its eight coins.
        let site = try node.string("getnewaddress", ["", "bech32"], wallet: "site")
        let sitePayment = try node.string("sendtoaddress", [site, 2.0], wallet: "payer")
        sent.append(sitePayment)
        try node.mine(1, to: miner)

        // The site moves most of what it got back to the miner.
        let back = try node.string("getnewaddress", ["", "bech32m"], wallet: "miner")
        sent.append(try node.string("sendtoaddress", [back, 1.5], wallet: "site"))
        try node.mine(2, to: miner)
        return WalletActivity(miner: miner, site: site, sitePayment: sitePayment, sent: sent)
    }

    /// A few more payments and blocks, as a chain grows while Spoor is not running.
    static func grow(on node: RegtestNode, miner: String, blocks: Int) throws -> [String] {
        var sent: [String] = []
        for i in 0..<blocks {
            let address = try node.string("getnewaddress", ["", i % 2 == 0 ? "bech32m" : "legacy"], wallet: "payer")
            sent.append(try node.string("sendtoaddress", [address, String(format: "%.2f", 0.05 + Double(i) / 100)], wallet: "miner"))
            try node.mine(1, to: miner)
        }
        return sent
    }
}
