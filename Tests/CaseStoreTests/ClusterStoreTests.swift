import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainIndex
import ChainSources
import Clustering
import Foundation
import Investigation
import GRDB
import SpoorTestSupport
import Testing

/// The product path: ingest the bundled sample chain, cluster from the store, read results back.
@Suite struct ClusterStoreTests {
    static func sampleItems() throws -> [SourceItem] {
        let source = try BlockDirectorySource(directory: Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks"),
                                              network: .regtest)
        var items: [SourceItem] = []
        while let item = try source.next() { items.append(item) }
        return items
    }

    static func profile(_ name: String) throws -> HeuristicProfile {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Heuristics/profiles/\(name).json")
        return try HeuristicProfile.load([UInt8](try Data(contentsOf: url)), file: url.path)
    }

    /// A profile whose only change signal is `change.same-block-spend`: it needs spender shapes but must stay
    /// incremental.
    static func sameBlockProfile() throws -> HeuristicProfile {
        try HeuristicProfile.load(Array(#"{"id":"same-block","version":1,"cospend":["cospend.multi-input"],"exclude":["exclude.coinbase"],"change":{"unique":{"use":"change.same-block-spend"}}}"#.utf8), file: "same-block.json")
    }

    static func truth() throws -> GroundTruth {
        try GroundTruth(transactionsJSON: try Data(contentsOf: Fixtures.sampleChains.appendingPathComponent("small-seed1/truth/transactions.json")))
    }

    func assignments(_ db: CaseDatabase) throws -> [String] {
        try db.read { db in
            var rows: [String] = []
            try ClusterStore.forEachAssignment(db) { rows.append("\($0),\($1)") }
            return rows
        }
    }

    /// Progress names each step; a co-spend run counts its rows against the co-spend input's size, a change-rule
    /// run (which walks the chain index) its transactions: none at the start, every 65,536, all at the end.
    @Test func progressNamesEachStepWithTheTransactionsToDo() throws {
        let path = try temporaryDatabasePath("cluster")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let rows = try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM clusterInput") ?? 0 }
        var seen: [ClusterProgress] = []
        try ClusterRunner.run(db, profile: try Self.profile("default"), progress: { seen.append($0) })
        #expect(seen.map(\.step) == [.clustering, .writing])
        #expect(seen.first?.done == 0 && seen.first?.total == rows && rows > 2000)
        seen = []
        try ClusterRunner.run(db, profile: try Self.profile("change"), allowIncremental: false, progress: { seen.append($0) })
        #expect(seen.map(\.step) == [.reading, .clustering, .clustering, .writing])
        #expect(seen.map(\.done) == [nil, 0, 2470, nil] && seen.map(\.total) == [nil, 2470, 2470, nil])
        #expect(seen.map(\.seconds) == seen.map(\.seconds).sorted())
        // The estimate is drawn from the step's own time, which starts again with each step.
        #expect(seen[1].stepSeconds <= seen[2].stepSeconds && seen[2].stepSeconds <= seen[2].seconds)
    }

    @Test func defaultProfileFromTheStoreMeetsTheReferenceFigures() throws {
        let path = try temporaryDatabasePath("cluster")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let profile = try Self.profile("default")
        let summary = try ClusterRunner.run(db, profile: profile)
        #expect(summary.profile == "default" && summary.profileHash == profile.hash)
        #expect(summary.transactions == 2470)
        #expect(summary.exclusionsPerRule["exclude.coinjoin.generic-funded"] == 3)
        #expect(summary.clusters == summary.singletons + Set(try assignments(db).map { $0.split(separator: ",")[1] }).count - summary.singletons)

        let (chain, txids) = try db.read { db in (try ChainIndexLoader.load(db, columns: [.spenderShapes]), try ClusterStore.txidsByID(db)) }
        var c = Clusterer(profile: profile, addressCount: chain.addressBound)
        c.process(chain.index)
        let report = EvaluationReport(batch: chain.index, txid: { txids[Int64($0.raw)] ?? "" }, truth: try Self.truth(), clusterer: &c)
        #expect(report.clustering.clusters == 1857)
        #expect(abs(report.clustering.precision - 0.99957) < 0.000005)
        #expect(abs(report.clustering.recall - 0.0284) < 0.00005)
        #expect(report.coinjoins.missed.isEmpty && report.coinjoins.flaggedOther.isEmpty)
        // The stored clustering agrees with the in-memory one.
        let stored = try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM addressCluster") ?? 0 }
        let roots = c.clusterIDs()
        #expect(stored == roots.enumerated().filter { $0.offset != Int($0.element) }.count)
    }

    /// Both paths: the full columns (change profile) and the narrow clustering input (default profile).
    /// `change` and `same-block` read spenders in the same block (`change.same-block-spend`) and must still extend.
    @Test(arguments: ["change", "default", "same-block"])
    func clusteringAfterAFurtherIngestExtendsAndEqualsAFreshRun(profileName: String) throws {
        let items = try Self.sampleItems()
        let half = items.count / 2
        let profile = profileName == "same-block" ? try Self.sameBlockProfile() : try Self.profile(profileName)
        let readsSameBlock = profile.change?.leaves.contains { $0.0 == HeuristicRegistry.sameBlockSpend } ?? false
        #expect(readsSameBlock == (profileName != "default"))
        #expect(!ClusterPlanner.looksAhead(profile))

        let incrementalPath = try temporaryDatabasePath("cluster-inc")
        try ingest(Array(items.prefix(half)), into: incrementalPath, classify: nil)
        let first = try ClusterRunner.run(try CaseDatabase(path: incrementalPath), profile: profile)
        #expect(!first.incremental)
        try ingest(Array(items.suffix(from: half)), into: incrementalPath, classify: nil)
        let incDB = try CaseDatabase(path: incrementalPath)
        let second = try ClusterRunner.run(incDB, profile: profile)
        #expect(second.incremental)
        #expect(second.transactionsProcessed < second.transactions)

        let freshPath = try temporaryDatabasePath("cluster-fresh")
        try ingest(items, into: freshPath, classify: nil)
        let freshDB = try CaseDatabase(path: freshPath)
        let fresh = try ClusterRunner.run(freshDB, profile: profile)
        #expect(try assignments(incDB) == assignments(freshDB))
        #expect(second.clusters == fresh.clusters)
        #expect(second.mergesPerHeuristic == fresh.mergesPerHeuristic)
        #expect(second.exclusionsPerRule == fresh.exclusionsPerRule)
        #expect(second.evidenceMerges == fresh.evidenceMerges && second.evidenceStops == fresh.evidenceStops)
        if readsSameBlock {
            // Same-block spends decided links in both halves, so the incremental half really read them.
            let before = first.mergesPerHeuristic["change.same-block-spend"] ?? 0
            #expect(before > 0)
            #expect((fresh.mergesPerHeuristic["change.same-block-spend"] ?? 0) > before)
        }
        if !profile.links.isEmpty {
            // The links ran in both runs (the exchange is a service already in the first half) and were redone,
            // not added up, in the second.
            #expect((first.mergesPerHeuristic["link.deposit-address"] ?? 0) > 0)
            #expect((fresh.mergesPerHeuristic["link.deposit-address"] ?? 0) > (first.mergesPerHeuristic["link.deposit-address"] ?? 0))
            #expect(second.depositServices == 1 && fresh.depositServices == 1)
        }
    }

    /// Blocks 104…106 and two loose transactions on Core's regtest fixture chain (heights 0…103):
    /// 105 pays from 104's coinbase and spends the change in the same block; 106 spends the payment; a loose
    /// transaction spends 106's output, and a second loose one spends the first's.
    struct SameBlockChain {
        static func script(_ n: UInt8) -> [UInt8] { [0x00, 0x14] + [UInt8](repeating: n, count: 20) }
        static func address(_ n: UInt8) -> String { "s:" + Hex.encode(script(n)) }
        let fixture: [Block]
        let blocks: [Block]
        let pay: Transaction, spendPayment: Transaction, loose: Transaction, looseChild: Transaction

        init() throws {
            fixture = try RegtestFixture.blocks()
            let tip = fixture[fixture.count - 1]
            let cb104 = BlockFactory.coinbase(height: 104, tag: 41, script: Self.script(1))
            let b104 = BlockFactory.block(on: tip.hash, time: tip.header.time + 1, transactions: [cb104])
            pay = BlockFactory.spend([OutPoint(txid: cb104.txid, vout: 0)],
                                     outputs: [(3_000_000_000, Self.script(2)), (1_999_990_000, Self.script(3))])
            let spendChange = BlockFactory.spend([OutPoint(txid: pay.txid, vout: 1)], outputs: [(1_999_980_000, Self.script(4))])
            let b105 = BlockFactory.block(on: b104.hash, time: b104.header.time + 1,
                                          transactions: [BlockFactory.coinbase(height: 105, tag: 42, script: Self.script(20)), pay, spendChange])
            spendPayment = BlockFactory.spend([OutPoint(txid: pay.txid, vout: 0)],
                                              outputs: [(2_000_000_000, Self.script(5)), (999_990_000, Self.script(6))])
            let b106 = BlockFactory.block(on: b105.hash, time: b105.header.time + 1,
                                          transactions: [BlockFactory.coinbase(height: 106, tag: 43, script: Self.script(21)), spendPayment])
            blocks = [b104, b105, b106]
            loose = BlockFactory.spend([OutPoint(txid: spendPayment.txid, vout: 1)],
                                       outputs: [(500_000_000, Self.script(7)), (499_980_000, Self.script(8))])
            looseChild = BlockFactory.spend([OutPoint(txid: loose.txid, vout: 1)], outputs: [(499_970_000, Self.script(9))])
        }

        func items(_ blocks: [Block]) -> [SourceItem] { RegtestFixture.items(blocks) }
        func item(_ tx: Transaction) -> SourceItem { .transaction(tx, SourceLocation(file: "loose")) }
    }

    @Test func loaderMarksSpendsInTheSameBlockAndBetweenLooseTransactions() throws {
        let c = try SameBlockChain()
        let path = try temporaryDatabasePath("same-block-load")
        try ingest(c.items(c.fixture + c.blocks) + [c.item(c.loose), c.item(c.looseChild)], into: path)
        let db = try CaseDatabase(path: path)
        let chain = try db.read { try ChainIndexLoader.load($0, columns: [.spenderShapes]) }
        func view(height: Int64, position: Int64) throws -> TxView {
            let i = try #require(chain.positions.firstIndex { $0.height == height && $0.position == position })
            return chain.index.view(i)
        }
        let cb104 = try view(height: 104, position: 0), pay = try view(height: 105, position: 1)
        let spendPayment = try view(height: 106, position: 1)
        #expect(cb104.outputSpender(0)?.inSameBlock == false, "spent a block later")
        #expect(pay.outputSpender(1)?.inSameBlock == true, "change spent in its own block")
        #expect(pay.outputSpender(0)?.inSameBlock == false, "payment spent a block later")
        #expect(SameBlockSpendChange().candidates(in: pay) == OutputSet([1]))
        #expect(spendPayment.outputSpender(1)?.inSameBlock == false, "a loose spender of a confirmed output is not in its block")
        #expect(spendPayment.outputSpender(0) == nil)
        #expect(SameBlockSpendChange().candidates(in: spendPayment).isEmpty)
        let looseIndex = try #require(chain.positions.firstIndex { $0.height == Int64.max })
        let loose = chain.index.view(looseIndex)
        #expect(loose.outputSpender(1)?.inSameBlock == true, "both unconfirmed")
        #expect(SameBlockSpendChange().candidates(in: loose) == OutputSet([1]))

        // Loading only what follows block 104 still sees the spend inside block 105.
        let after = try #require(chain.positions.first { $0.height == 104 })
        let tail = try db.read { try ChainIndexLoader.load($0, after: after, columns: [.spenderShapes]) }
        #expect(tail.positions.first?.height == 105)
        let tailPay = try #require(tail.positions.firstIndex { $0.height == 105 && $0.position == 1 })
        #expect(SameBlockSpendChange().candidates(in: tail.index.view(tailPay)) == OutputSet([1]))
    }

    /// Same-block spends are known when a block is committed, so the profile extends after whole blocks, but a
    /// loose transaction may still be spent by a later loose one: after loose transactions it starts over.
    @Test func sameBlockProfileExtendsAfterBlocksAndStartsOverAfterLooseTransactions() throws {
        let c = try SameBlockChain()
        let profile = try Self.sameBlockProfile()
        let path = try temporaryDatabasePath("same-block-inc")
        try ingest(c.items(c.fixture + c.blocks.prefix(2)), into: path)
        #expect(try !ClusterRunner.run(try CaseDatabase(path: path), profile: profile).incremental)
        try ingest(c.items(Array(c.blocks.suffix(1))), into: path)
        #expect(try ClusterRunner.run(try CaseDatabase(path: path), profile: profile).incremental)
        try ingest([c.item(c.loose)], into: path)
        let afterLoose = try ClusterRunner.run(try CaseDatabase(path: path), profile: profile)
        #expect(afterLoose.incremental, "the watermark closed block 106")
        try ingest([c.item(c.looseChild)], into: path)
        let db = try CaseDatabase(path: path)
        let last = try ClusterRunner.run(db, profile: profile)
        #expect(!last.incremental, "a new loose spend may change an earlier loose transaction's decision")

        let freshPath = try temporaryDatabasePath("same-block-fresh")
        try ingest(c.items(c.fixture + c.blocks) + [c.item(c.loose), c.item(c.looseChild)], into: freshPath)
        let freshDB = try CaseDatabase(path: freshPath)
        let fresh = try ClusterRunner.run(freshDB, profile: profile)
        #expect(try assignments(db) == assignments(freshDB))
        #expect(last.mergesPerHeuristic == fresh.mergesPerHeuristic)
        // Core's fixture chain has same-block spends of its own; the hand-built part adds exactly two.
        let fixturePath = try temporaryDatabasePath("same-block-fixture")
        try ingest(c.items(c.fixture), into: fixturePath)
        let fixtureOnly = try ClusterRunner.run(try CaseDatabase(path: fixturePath), profile: profile)
        #expect(fresh.mergesPerHeuristic["change.same-block-spend"] == (fixtureOnly.mergesPerHeuristic["change.same-block-spend"] ?? 0) + 2)
        // The change of 105's payment joined the coinbase address that paid it; the loose change its payer.
        let clusterOf = Dictionary(uniqueKeysWithValues: try assignments(freshDB).map {
            let p = $0.split(separator: ","); return (String(p[0]), String(p[1]))
        })
        #expect(clusterOf[SameBlockChain.address(3)] == clusterOf[SameBlockChain.address(1)])
        #expect(clusterOf[SameBlockChain.address(2)] != clusterOf[SameBlockChain.address(1)])
        #expect(clusterOf[SameBlockChain.address(8)] == clusterOf[SameBlockChain.address(6)])
        #expect(clusterOf[SameBlockChain.address(7)] != clusterOf[SameBlockChain.address(6)])
    }

    @Test func explainNamesTheDepositAddress() throws {
        let path = try temporaryDatabasePath("cluster-deposit")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let summary = try ClusterRunner.run(db, profile: try Self.profile("change"))
        #expect(summary.depositServices == 1)
        let rows = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT aa.address, ab.address FROM clusterEvidence e JOIN address aa ON aa.id = e.a JOIN address ab ON ab.id = e.b
                WHERE e.kind = 0 AND e.heuristics = ? ORDER BY e.id
                """, arguments: [Int64(Clusterer.linkBit)])
        }
        #expect(rows.count == summary.mergesPerHeuristic["link.deposit-address"])
        let truth = try Self.truth()
        for row in rows.prefix(5) {
            let e = try ClusterLookups.explain(db, row[0], row[1])
            try db.read { db in
                #expect(e.linked && e.chain.count == 1)
                let step = try #require(e.chain.first)
                #expect(step.heuristics == ["link.deposit-address"])
                // Both payments pay the named address; the truth calls both deposits by one customer.
                let address = try #require(step.depositAddress)
                let other = try #require(step.otherTxid)
                for txid in [step.txid, other] {
                    let paid = try String.fetchAll(db, sql: """
                        SELECT a.address FROM output o JOIN address a ON a.id = o.addressId JOIN tx t ON t.id = o.txId
                        WHERE t.txid = ?
                        """, arguments: [Data(try #require(Digest32(displayHex: txid)).bytes)])
                    #expect(paid.contains(address))
                }
                let owners = truth.ownerOfAddress
                #expect(owners[step.from] != nil && owners[step.from] == owners[step.to], "both payers are one customer")
            }
        }
    }

    @Test func explainWalksTheEvidenceAndNamesStoppedCoinJoins() throws {
        let path = try temporaryDatabasePath("cluster-explain")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        try ClusterRunner.run(db, profile: try Self.profile("default"))
        // The largest cluster: its root and its last member are linked by a chain of co-spends.
        let (members, a, b) = try db.read { db in
            let cluster = try Int64.fetchOne(db, sql: "SELECT clusterId FROM addressCluster GROUP BY clusterId ORDER BY COUNT(*) DESC LIMIT 1")!
            let members = try ClusterStore.memberIDs(db, cluster: cluster)
            return (members, try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.first!])!,
                    try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.last!])!)
        }
        do {
            let e = try ClusterLookups.explain(db, a, b)
            #expect(e.linked)
            #expect(e.chain.first?.from == a && e.chain.last?.to == b)
            for (x, y) in zip(e.chain, e.chain.dropFirst()) { #expect(x.to == y.from) }
            #expect(e.chain.allSatisfy { $0.heuristics == ["cospend.multi-input"] })

            // Two inputs of a CoinJoin: not linked, and the CoinJoin is named with its rule.
            let stop = try db.read { db in
                try Row.fetchOne(db, sql: """
                    SELECT aa.address, ab.address FROM clusterEvidence e JOIN address aa ON aa.id = e.a JOIN address ab ON ab.id = e.b
                    WHERE e.kind = 1 ORDER BY e.id LIMIT 1
                    """)!
            }
            let n = try ClusterLookups.explain(db, stop[0], stop[1])
            #expect(!n.linked)
            #expect(n.stoppedBy.count >= 1)
            #expect(n.stoppedBy.contains { $0.heuristics.contains("exclude.coinjoin.generic-funded") })
            let truth = try Self.truth()
            #expect(n.stoppedBy.allSatisfy { truth.transactions[$0.txid]?.kind == "coinjoin" })

            let d = try ClusterLookups.detail(db, address: a, offset: 0, limit: 5)
            #expect(d.size == members.count && d.members.count == min(5, members.count))
            #expect(d.evidenceCounts["cospend.multi-input"] == members.count - 1)
        }
    }

    @Test func entityGuardRefusesJoiningDifferentlyTaggedAddressesAndTagsForceARerun() throws {
        let path = try temporaryDatabasePath("cluster-guard")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let profile = try Self.profile("default")
        try ClusterRunner.run(db, profile: profile)
        let (a, b) = try db.read { db -> (String, String) in
            let cluster = try Int64.fetchOne(db, sql: "SELECT clusterId FROM addressCluster GROUP BY clusterId ORDER BY COUNT(*) DESC LIMIT 1")!
            let members = try ClusterStore.memberIDs(db, cluster: cluster)
            return (try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.first!])!,
                    try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.last!])!)
        }
        let guarded = try ClusterRunner.run(db, profile: profile, entityTags: [a: "Exchange A", b: "Exchange B"])
        #expect(!guarded.incremental, "new tags must recluster from scratch")
        #expect((guarded.guardRefusals["guard.entity-tags"] ?? 0) >= 1)
        let e = try ClusterLookups.explain(db, a, b)
        #expect(!e.linked)
        #expect(e.stoppedBy.contains { $0.heuristics.contains("guard.entity-tags") })
    }
}
