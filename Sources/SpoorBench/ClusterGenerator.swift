import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import SpoorTestSupport

/// A synthetic chain for the clustering benchmark, streamed block by block into the real ingest.
///
/// Bitcoin-like shape (proportions from public chain statistics, not fitted to anything): wallets hold
/// coins; each transaction spends 1 input (60%), 2 (20%), 3–5 (12%), 6–20 (7%) or 21–100 (1%) coins of one
/// wallet, pays another wallet (30% of payments to an address the payee used before) and returns change
/// (20% to one of the spent addresses, otherwise a fresh one); 8% are batch payouts with 3–10 outputs.
/// Every block's coinbase funds 200 wallets so the coin pool never runs dry.
final class ClusterChainGenerator: ChainSource {
    let network: Network? = .regtest
    let transactions: Int
    let perBlock = 2_000
    private var rng: SeededRandom
    private var produced = 0
    private var height = 0
    private var previous = BlockHash.zero
    private var nextAddress: UInt64 = 1
    private var walletCoins: [[(OutPoint, Int64, UInt64)]]
    private var walletAddresses: [[UInt64]]
    private var funded: [Int] = []
    private var isFunded: [Bool]

    init(transactions: Int, seed: UInt64) {
        self.transactions = transactions
        rng = SeededRandom(seed: seed)
        let wallets = max(100, transactions / 10)
        walletCoins = Array(repeating: [], count: wallets)
        walletAddresses = Array(repeating: [], count: wallets)
        isFunded = Array(repeating: false, count: wallets)
    }

    private func script(_ address: UInt64) -> [UInt8] {
        var s: [UInt8] = [0x00, 0x14]
        var x = address &* 0x9E37_79B9_7F4A_7C15
        for i in 0..<20 { s.append(UInt8(truncatingIfNeeded: x >> UInt64((i % 8) * 8))); if i % 8 == 7 { x = x &* 0xBF58_476D_1CE4_E5B9 &+ address } }
        return s
    }

    private func newAddress(for wallet: Int) -> UInt64 {
        let a = nextAddress
        nextAddress += 1
        walletAddresses[wallet].append(a)
        return a
    }

    private func receive(_ wallet: Int, _ outpoint: OutPoint, _ value: Int64, _ address: UInt64) {
        walletCoins[wallet].append((outpoint, value, address))
        if !isFunded[wallet] { isFunded[wallet] = true; funded.append(wallet) }
    }

    private func inputCount() -> Int {
        let r = rng.next() % 100
        switch r {
        case 0..<60: return 1
        case 60..<80: return 2
        case 80..<92: return 3 + Int(rng.next() % 3)
        case 92..<99: return 6 + Int(rng.next() % 15)
        default: return 21 + Int(rng.next() % 80)
        }
    }

    func next() throws -> SourceItem? {
        guard produced < transactions else { return nil }
        var txs: [Transaction] = []
        // Coinbase: funds 200 wallets.
        var cbOutputs: [TxOut] = []
        var cbPayees: [(Int, UInt64)] = []
        for _ in 0..<200 {
            let w = Int(rng.next() % UInt64(walletCoins.count))
            let a = newAddress(for: w)
            cbOutputs.append(TxOut(value: Amount(satoshis: 25_000_000), scriptPubKey: script(a)))
            cbPayees.append((w, a))
        }
        var heightPush: [UInt8] = []
        var h = height
        repeat { heightPush.append(UInt8(h & 0xff)); h >>= 8 } while h > 0
        if let last = heightPush.last, last & 0x80 != 0 { heightPush.append(0) }
        let coinbase = Transaction(version: 2, inputs: [TxIn(prevout: .null, scriptSig: [UInt8(heightPush.count)] + heightPush + [0x51])],
                                   outputs: cbOutputs, lockTime: 0)
        txs.append(coinbase)
        for (n, (w, a)) in cbPayees.enumerated() { receive(w, OutPoint(txid: coinbase.txid, vout: UInt32(n)), 25_000_000, a) }
        produced += 1

        while txs.count < perBlock && produced < transactions && !funded.isEmpty {
            let pick = Int(rng.next() % UInt64(funded.count))
            let w = funded[pick]
            var coins = walletCoins[w]
            let k = min(inputCount(), coins.count)
            var inputs: [TxIn] = []
            var total: Int64 = 0
            var spentAddresses: [UInt64] = []
            for _ in 0..<k {
                let j = Int(rng.next() % UInt64(coins.count))
                coins.swapAt(j, coins.count - 1)
                let c = coins.removeLast()
                inputs.append(TxIn(prevout: c.0, sequence: 0xFFFF_FFFD))
                total += c.1
                spentAddresses.append(c.2)
            }
            walletCoins[w] = coins
            if coins.isEmpty {
                isFunded[w] = false
                funded.swapAt(pick, funded.count - 1)
                funded.removeLast()
            }
            let fee: Int64 = 1_000
            guard total > fee * 4 else { continue }
            var spendable = total - fee
            var payees: [(Int, UInt64, Int64)] = []
            let payments = rng.next() % 100 < 8 ? 3 + Int(rng.next() % 8) : 1
            for _ in 0..<payments {
                let p = Int(rng.next() % UInt64(walletCoins.count))
                let a: UInt64
                if !walletAddresses[p].isEmpty && rng.next() % 100 < 30 {
                    a = walletAddresses[p][Int(rng.next() % UInt64(walletAddresses[p].count))]
                } else {
                    a = newAddress(for: p)
                }
                let v = max(546, spendable / Int64(2 + rng.next() % 4))
                guard v < spendable else { break }
                spendable -= v
                payees.append((p, a, v))
            }
            let change = rng.next() % 100 < 20 ? spentAddresses[0] : newAddress(for: w)
            payees.append((w, change, spendable))
            let outputs = payees.map { TxOut(value: Amount(satoshis: $0.2), scriptPubKey: script($0.1)) }
            let t = Transaction(version: 2, inputs: inputs, outputs: outputs, lockTime: 0)
            for (n, p) in payees.enumerated() { receive(p.0, OutPoint(txid: t.txid, vout: UInt32(n)), p.2, p.1) }
            txs.append(t)
            produced += 1
        }
        let root = Merkle.root(txs.map(\.txid.digest))
        let header = BlockHeader(version: 0x2000_0000, previousBlockHash: previous, merkleRoot: root,
                                 time: 1_600_000_000 + UInt32(height) * 600, bits: 0x207f_ffff, nonce: 0)
        let block = Block(header: BenchMining.mine(header), transactions: txs)
        previous = block.hash
        defer { height += 1 }
        return .block(SourceBlock(block: block, height: height, location: SourceLocation(file: "generated")))
    }
}
