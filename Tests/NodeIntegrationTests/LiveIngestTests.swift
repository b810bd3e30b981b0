import BitcoinPrimitives
import CaseStore
import Foundation
import SpoorTestSupport
import Testing

/// Issue 13, groups 1 and 2: `spoor ingest --rpc` against a real node equals the node's own blocks directory,
/// every fee equals the node's, `stats` equals the node's chain and UTXO-set figures; a follow-up ingest reads
/// only the new blocks and equals a fresh one.
@Suite(.tags(.bitcoind), .enabled(if: RegtestNode.binary != nil, Comment(rawValue: RegtestNode.skipMessage)))
struct LiveIngestTests {
    @Test func liveRPCIngestEqualsTheNodesOwnBlocksDirectory() throws {
        let node = try RegtestNode(label: "live")
        defer { node.remove() }
        let scratch = try Scratch("live")
        defer { scratch.remove() }
        let activity = try WalletActivity.build(on: node)
        let tip = try node.tipHeight()

        let viaRPC = scratch.db("rpc")
        let summary = try Spoor.ingestRPC(node, db: viaRPC)
        #expect(summary["blocks_added"] as? Int == tip + 1)
        #expect(summary["unresolved_inputs"] as? Int == 0)

        // The node's own files while it runs: XOR'd, the last blk file pre-allocated beyond its blocks.
        let key = try Data(contentsOf: URL(fileURLWithPath: node.blocksDirectory + "/xor.dat"))
        #expect(key.count == 8 && key.contains { $0 != 0 }, "-blocksxor=1 should give a non-zero key")
        let blk = try FileManager.default.attributesOfItem(atPath: node.blocksDirectory + "/blk00000.dat")
        let info = try node.object("getblockchaininfo")
        // size_on_disk counts the block and undo bytes written; the file is longer (zeros Core pre-allocated).
        #expect((blk[.size] as? Int ?? 0) > (info["size_on_disk"] as? Int ?? .max), "blk00000.dat is pre-allocated")
        #expect(node.isRunning)
        let viaFiles = scratch.db("files")
        let filesSummary = try Spoor.ingest(node.blocksDirectory, db: viaFiles)
        #expect(filesSummary["blocks_added"] as? Int == tip + 1)
        #expect(try Spoor.export(viaRPC, in: scratch.url) == Spoor.export(viaFiles, in: scratch.url))

        // Every fee the node states (getblock … 3) equals the stored one.
        let database = try CaseDatabase(path: viaRPC, mode: .readOnly)
        var compared = 0
        for height in 0...tip {
            let block = try node.object("getblock", [try node.blockHash(height), 3])
            for tx in block["tx"] as? [[String: Any]] ?? [] {
                guard let fee = tx["fee"] else { continue }  // coinbases state none
                let txid = try #require(Txid(hex: tx["txid"] as? String ?? ""))
                let stored = try StoreQueries.transactions(txid, in: database)
                #expect(stored.first?.fee == satoshis(fee), "fee of \(txid.hex) at height \(height)")
                compared += 1
            }
        }
        #expect(compared == activity.sent.count)

        // stats against getblockchaininfo and gettxoutsetinfo where they overlap.
        let stats = try Spoor.stats(viaRPC)
        let utxo = try node.object("gettxoutsetinfo")
        #expect(stats["blocks"] as? Int == (info["blocks"] as? Int).map { $0 + 1 })
        #expect(stats["best_height"] as? Int == info["blocks"] as? Int)
        #expect(stats["tip"] as? String == info["bestblockhash"] as? String)
        #expect(stats["unspent_outputs"] as? Int == utxo["txouts"] as? Int)
        #expect((stats["unspent_sat"] as? NSNumber)?.int64Value == satoshis(utxo["total_amount"]))
        #expect(try Spoor.stats(viaFiles)["unspent_outputs"] as? Int == utxo["txouts"] as? Int)
    }

    @Test func aFollowUpReadsOnlyTheNewBlocksAndEqualsAFreshIngest() throws {
        let node = try RegtestNode(label: "follow")
        defer { node.remove() }
        let scratch = try Scratch("follow")
        defer { scratch.remove() }
        let activity = try WalletActivity.build(on: node)
        let followed = scratch.db("followed")
        try Spoor.ingestRPC(node, db: followed)

        // Spoor is not running while the chain grows.
        try WalletActivity.grow(on: node, miner: activity.miner, blocks: 5)
        let askedBefore = try node.loggedCalls("getblock")
        let second = try Spoor.ingestRPC(node, db: followed)
        #expect(second["blocks_added"] as? Int == 5)
        #expect(second["blocks_skipped"] as? Int == 0)
        #expect(try node.loggedCalls("getblock") - askedBefore == 5, "only the five new blocks are read")

        let fresh = scratch.db("fresh")
        try Spoor.ingestRPC(node, db: fresh)
        #expect(try Spoor.export(followed, in: scratch.url) == Spoor.export(fresh, in: scratch.url))

        // Nothing new: nothing is read.
        let askedNow = try node.loggedCalls("getblock")
        let idle = try Spoor.ingestRPC(node, db: followed)
        #expect(idle["blocks_added"] as? Int == 0)
        #expect(try node.loggedCalls("getblock") == askedNow)
    }
}
