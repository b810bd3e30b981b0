import BitcoinPrimitives
import CaseStore
import Foundation
import SpoorTestSupport
import Testing

/// Issue 13, group 3: reorgs made by a real node (`invalidateblock`, a longer competing branch with a double
/// spend of a stored transaction, `reconsiderblock`), followed by `spoor ingest --rpc`: the rolled-back database
/// equals a fresh ingest of the node's new best chain, and clustering and the report follow.
@Suite(.tags(.bitcoind), .enabled(if: RegtestNode.binary != nil, Comment(rawValue: RegtestNode.skipMessage)))
struct NodeReorgTests {
    /// What the case looks like after one ingest: exports, clusters as a partition, the report's payments.
    struct CaseView: Equatable {
        var export: [String: Data]
        var clusters: Set<Set<String>>
        var report: String
    }

    static func view(_ db: String, watchlist: String, scratch: Scratch) throws -> CaseView {
        let cluster = try Spoor.run(["cluster", "--db", db])
        try #require(cluster.status == 0, "spoor cluster: \(cluster)")
        let csv = scratch.url.appendingPathComponent("clusters-\(UUID().uuidString.prefix(6)).csv").path
        let exported = try Spoor.run(["export", "clusters", "--db", db, "--out", csv])
        try #require(exported.status == 0, "spoor export clusters: \(exported)")
        var members: [String: Set<String>] = [:]
        for line in try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",")
            guard fields.count >= 2 else { continue }
            members[String(fields[1]), default: []].insert(String(fields[0]))
        }
        let reportPath = scratch.url.appendingPathComponent("report-\(UUID().uuidString.prefix(6)).json").path
        let report = try Spoor.run(["report", "--db", db, "--watchlist", watchlist, "--out", reportPath])
        try #require(report.status == 0, "spoor report: \(report)")
        return CaseView(export: try Spoor.export(db, in: scratch.url), clusters: Set(members.values),
                        report: try Self.reportWithoutPaths(reportPath))
    }

    /// The report's JSON without what names the database file (the two databases live at different paths) and
    /// without `manifest.chain_inputs`, the record of what each ingest read: a database that followed a reorg
    /// read other height ranges from the node than a fresh ingest did, by design.
    static func reportWithoutPaths(_ path: String) throws -> String {
        var obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
                                   as? [String: Any])
        obj["database"] = nil
        obj["inputs"] = nil
        if var manifest = obj["manifest"] as? [String: Any] {
            #expect((manifest["chain_inputs"] as? [[String: Any]])?.first?["kind"] as? String == "node")
            manifest["chain_inputs"] = nil
            obj["manifest"] = manifest
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self)
    }

    static func stored(_ txid: String, in db: String) throws -> Bool {
        let id = try #require(Txid(hex: txid))
        return try !StoreQueries.transactions(id, in: CaseDatabase(path: db, mode: .readOnly)).isEmpty
    }

    @Test func reorgsBothWaysEqualFreshIngestsOfTheNewBestChain() throws {
        let node = try RegtestNode(label: "reorg")
        defer { node.remove() }
        let scratch = try Scratch("reorg")
        defer { scratch.remove() }
        let activity = try WalletActivity.build(on: node)
        let shop = try node.string("getnewaddress", ["", "bech32"], wallet: "site")
        let watchlist = scratch.url.appendingPathComponent("watchlist.json")
        try Data(#"{"addresses":[{"address":"\#(shop)","label":"adsite","category":"ad-payment"}]}"#.utf8)
            .write(to: watchlist)

        // T pays the shop at height H; two blocks follow; Spoor stores it all and clusters.
        let original = try node.string("sendtoaddress", [shop, 0.2], wallet: "payer")
        let forkHeight = try node.tipHeight()
        let oldBranch = try node.mine(3, to: activity.miner)
        let db = scratch.db("followed")
        try Spoor.ingestRPC(node, db: db)
        let before = try Self.view(db, watchlist: watchlist.path, scratch: scratch)
        #expect(before.report.contains(original))

        // The node drops H…H+2; T returns to its mempool and is replaced by a double spend D (bumpfee spends
        // the same inputs), mined in a longer branch.
        try node.call("invalidateblock", [oldBranch[0]])
        let dropped = try Spoor.run(["ingest", "--rpc", node.url, "--rpc-cookie", node.cookiePath, "--db", db,
                                     "--json", "--quiet"])
        #expect(dropped.status == 0, "\(dropped)")
        #expect(try Spoor.json(dropped)["blocks_added"] as? Int == 0)
        #expect(dropped.stderr.contains("heights \(forkHeight + 1)–\(forkHeight + 3) are not on the node's best chain"),
                "\(dropped.stderr)")
        let bumped = try node.object("bumpfee", [original], wallet: "payer")
        let doubleSpend = try #require(bumped["txid"] as? String)
        let newBranch = try node.mine(4, to: activity.miner)
        let first = try Spoor.ingestRPC(node, db: db)
        let reorgs = first["reorgs"] as? [[String: Any]] ?? []
        #expect(reorgs.count == 1)
        #expect(reorgs.first?["fork_height"] as? Int == forkHeight)
        #expect(reorgs.first?["blocks_disconnected"] as? Int == 3)
        #expect(try !Self.stored(original, in: db), "the double-spent transaction is gone")
        #expect(try Self.stored(doubleSpend, in: db))

        let freshAfter = scratch.db("fresh-1")
        try Spoor.ingestRPC(node, db: freshAfter)
        let after = try Self.view(db, watchlist: watchlist.path, scratch: scratch)
        #expect(after == (try Self.view(freshAfter, watchlist: watchlist.path, scratch: scratch)))
        #expect(after.report.contains(doubleSpend) && !after.report.contains(original))

        // Back again: the old branch is reconsidered and outgrows the new one; T returns, D is gone.
        try node.call("reconsiderblock", [oldBranch[0]])
        try node.call("invalidateblock", [newBranch[0]])
        #expect(try node.string("getbestblockhash") == oldBranch[2])
        try node.mine(2, to: activity.miner)
        try node.call("reconsiderblock", [newBranch[0]])
        #expect(try node.tipHeight() == forkHeight + 5)
        let second = try Spoor.ingestRPC(node, db: db)
        let back = second["reorgs"] as? [[String: Any]] ?? []
        #expect(back.count == 1)
        #expect(back.first?["fork_height"] as? Int == forkHeight)
        #expect(back.first?["blocks_disconnected"] as? Int == 4)
        #expect(try Self.stored(original, in: db))
        #expect(try !Self.stored(doubleSpend, in: db))

        let freshBack = scratch.db("fresh-2")
        try Spoor.ingestRPC(node, db: freshBack)
        let restored = try Self.view(db, watchlist: watchlist.path, scratch: scratch)
        #expect(restored == (try Self.view(freshBack, watchlist: watchlist.path, scratch: scratch)))
        #expect(restored.report.contains(original) && !restored.report.contains(doubleSpend))
    }
}
