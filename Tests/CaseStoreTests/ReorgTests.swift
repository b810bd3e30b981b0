import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import Testing

/// A source bringing a better chain that forks below the stored tip; Core's BIP30 duplicate coinbases.
@Suite struct ReorgTests {
    /// `count` blocks on `parent`, each with a coinbase tagged `tag`; the first also spends `spend` (if given).
    static func branch(on parent: Block, height: Int, count: Int, tag: UInt8,
                       spend: OutPoint? = nil, spendValue: Int64 = 0) -> [Block] {
        var blocks: [Block] = []
        var prev = parent
        for k in 0..<count {
            var txs = [BlockFactory.coinbase(height: height + k, tag: tag, script: [0x51, tag])]
            if k == 0, let spend {
                txs.append(BlockFactory.spend([spend], outputs: [(spendValue - 1000, [0x52, tag])]))
            }
            let b = BlockFactory.block(on: prev.hash, time: prev.header.time + 1, transactions: txs, nonce: UInt32(tag))
            blocks.append(b)
            prev = b
        }
        return blocks
    }

    @Test func betterBranchReplacesStaleBlocksAndUndoesTheirSpends() throws {
        let chain = try RegtestFixture.blocks()  // heights 0...103
        // Spend the output that the stored block 102 spends, in a different way.
        let contested = chain[102].transactions[1].inputs[0].prevout
        let contestedValue = try #require(chain.first { $0.transactions[0].txid == contested.txid })
            .transactions[0].outputs[Int(contested.vout)].value.satoshis
        let fork = Self.branch(on: chain[100], height: 101, count: 4, tag: 7, spend: contested,
                               spendValue: contestedValue)

        let path = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(chain), into: path)
        let summary = try ingest(RegtestFixture.items(fork), into: path, batchBlocks: 2)
        let reorg = try #require(summary.reorgs.first)
        #expect(summary.reorgs.count == 1)
        #expect(reorg.forkHeight == 100)
        #expect(reorg.blocksDisconnected == 3)
        #expect(reorg.transactionsRemoved == 1 + 2 + 5)
        #expect(reorg.oldTip == chain[103].hash)
        #expect(reorg.newTip == fork[3].hash)

        let db = try CaseDatabase(path: path, mode: .readOnly)
        let stats = try StoreQueries.stats(db)
        #expect(stats.blocks == 105)
        #expect(stats.bestHeight == 104)
        #expect(stats.tip == fork[3].hash)
        #expect(stats.unresolvedInputs == 0)
        let (stale, dangling) = try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block WHERE inBestChain = 0") ?? -1,
             try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM output o WHERE spentByInputId IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM input i WHERE i.id = o.spentByInputId)
                """) ?? -1)
        }
        #expect(stale == 3)
        #expect(dangling == 0)
        // The contested output is now spent by the branch's transaction.
        let spentBy = try StoreQueries.transactions(contested.txid, in: db).first?.outputs[Int(contested.vout)].spentBy
        #expect(spentBy?.txid == fork[0].transactions[1].txid)

        // Same content as a clean ingest of the final best chain.
        let clean = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(Array(chain[...100]) + fork), into: clean)
        #expect(try canonicalDump(path) == canonicalDump(clean))
        #expect(try StoreQueries.stats(CaseDatabase(path: clean, mode: .readOnly)).addresses == stats.addresses)

        // And back: the original chain, extended past the branch, revives the stale block rows.
        let extended = Self.branch(on: chain[103], height: 104, count: 3, tag: 9)
        let back = try ingest(RegtestFixture.items(Array(chain[101...]) + extended), into: path, batchBlocks: 3)
        #expect(back.reorgs.map(\.blocksDisconnected) == [4])
        let cleanBack = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(chain + extended), into: cleanBack)
        #expect(try canonicalDump(path) == canonicalDump(cleanBack))
        #expect(try StoreQueries.stats(CaseDatabase(path: path, mode: .readOnly)).blocks == 107)
    }

    /// A loose transaction spends an output of a block the reorg disconnects: its input is unlinked and must
    /// name its prevout's txid again (a linked input stores none, InputPrevTxid.swift), so the block's return
    /// links it again.
    @Test func reorgUnlinksALooseSpendAndGivesItsInputItsTxidBack() throws {
        let chain = try RegtestFixture.blocks()
        let funding = chain[102].transactions[1]
        let prevout = OutPoint(txid: funding.txid, vout: 0)
        let loose = BlockFactory.spend([prevout], outputs: [(funding.outputs[0].value.satoshis - 700, [0x55])])
        let path = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(chain) + [.transaction(loose, SourceLocation(file: "loose"))], into: path)
        let inputRow: (CaseDatabase) throws -> (Int?, Bool) = { db in
            try db.read { db in
                try expectPrevTxidRule(db)
                let row = try #require(try Row.fetchOne(db, sql: """
                    SELECT length(i.prevTxid) AS len, i.spentOutputId FROM input i JOIN tx t ON t.id = i.txId
                    WHERE t.txid = ?
                    """, arguments: [loose.txid.digest.data]))
                return (row["len"], (row["spentOutputId"] as Int64?) != nil)
            }
        }
        #expect(try inputRow(CaseDatabase(path: path, mode: .readOnly)) == (0, true))

        let fork = Self.branch(on: chain[100], height: 101, count: 4, tag: 7)
        let summary = try ingest(RegtestFixture.items(fork), into: path)
        #expect(summary.reorgs.map(\.blocksDisconnected) == [3])
        #expect(try inputRow(CaseDatabase(path: path, mode: .readOnly)) == (32, false))
        let unlinked = try #require(try StoreQueries.transactions(loose.txid, in: CaseDatabase(path: path, mode: .readOnly)).first)
        #expect(unlinked.inputs[0].prevout?.txid == funding.txid && unlinked.inputs[0].prevout?.index == 0)
        #expect(!unlinked.inputs[0].resolved)

        // The original chain comes back with more work: the funding transaction links the input again.
        let extended = Self.branch(on: chain[103], height: 104, count: 3, tag: 9)
        _ = try ingest(RegtestFixture.items(Array(chain[101...]) + extended), into: path)
        #expect(try inputRow(CaseDatabase(path: path, mode: .readOnly)) == (0, true))
        let relinked = try #require(try StoreQueries.transactions(loose.txid, in: CaseDatabase(path: path, mode: .readOnly)).first)
        #expect(relinked.inputs[0].prevout?.txid == funding.txid && relinked.inputs[0].prevout?.index == 0)
        #expect(relinked.inputs[0].resolved)
        #expect(relinked.fee == 700)
    }

    @Test func weakerBranchIsReportedNotApplied() throws {
        let chain = try RegtestFixture.blocks()
        let path = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(chain), into: path)
        let before = try fullDump(path)
        let fork = Self.branch(on: chain[100], height: 101, count: 2, tag: 5)
        let summary = try ingest(RegtestFixture.items(fork), into: path)
        #expect(summary.reorgs.isEmpty)
        #expect(summary.ignoredBranches == [IgnoredBranch(forkHeight: 100, tip: fork[1].hash, blocks: 2)])
        #expect(try fullDump(path) == before)
    }

    /// The regtest chain, then blocks 104 and 105 with the same coinbase (paying `script`).
    static func duplicateCoinbases(script: [UInt8]) throws -> (chain: [Block], duplicate: Transaction, a: Block, b: Block) {
        let chain = try RegtestFixture.blocks()
        let duplicate = BlockFactory.coinbase(height: 104, tag: 1, script: script)
        let a = BlockFactory.block(on: chain[103].hash, time: 2_000_000_000, transactions: [duplicate])
        let b = BlockFactory.block(on: a.hash, time: 2_000_000_001, transactions: [duplicate])
        return (chain, duplicate, a, b)
    }

    /// BIP30 without a spend: the address of the repeated coinbase holds one coinbase's value, and one output is
    /// unspent — whether the copies arrive in one ingest (memory) or two (the database). Before, both copies
    /// stayed unspent and the balance doubled (an address of block 91812 showed 100 BTC).
    @Test(arguments: [false, true])
    func duplicateCoinbaseCountsOnce(splitSessions: Bool) throws {
        let (chain, duplicate, a, b) = try Self.duplicateCoinbases(script: [0x55])
        let path = try temporaryDatabasePath()
        if splitSessions {
            try ingest(RegtestFixture.items(chain + [a]), into: path)
            try ingest(RegtestFixture.items([b]), into: path)
        } else {
            try ingest(RegtestFixture.items(chain + [a, b]), into: path)
        }
        let db = try CaseDatabase(path: path, mode: .readOnly)
        let address = try #require(try StoreQueries.address("s:55", in: db))
        #expect(address.outputs == 2 && address.spentOutputs == 1)
        #expect(address.balanceSat == duplicate.outputs[0].value.satoshis)
        let copies = try StoreQueries.transactions(duplicate.txid, in: db)
        #expect(copies.filter { $0.outputs[0].overwritten }.map { $0.block?.height } == [104])
        // Taking the later block away brings the earlier copy back.
        let fork = Self.branch(on: a, height: 105, count: 2, tag: 9)
        try ingest(RegtestFixture.items(fork), into: path)
        let after = try #require(try StoreQueries.address("s:55", in: CaseDatabase(path: path, mode: .readOnly)))
        #expect(after.outputs == 1 && after.spentOutputs == 0 && after.balanceSat == duplicate.outputs[0].value.satoshis)
    }

    /// Mainnet blocks 91842/91880 repeat the coinbases of 91812/91722. Core: the later transaction overwrites
    /// the earlier one's unspent outputs, so a spend of that txid links to the later output.
    @Test(arguments: [false, true])
    func duplicateCoinbaseFollowsCore(splitSessions: Bool) throws {
        let (chain, duplicate, a, b) = try Self.duplicateCoinbases(script: [0x53])
        let spendTx = BlockFactory.spend([OutPoint(txid: duplicate.txid, vout: 0)],
                                         outputs: [(duplicate.outputs[0].value.satoshis - 500, [0x54])])
        let c = BlockFactory.block(on: b.hash, time: 2_000_000_002,
                                   transactions: [BlockFactory.coinbase(height: 106, tag: 2), spendTx])
        let path = try temporaryDatabasePath()
        if splitSessions {
            // The spend arrives in a later ingest: resolution goes through the database, not the memory map.
            try ingest(RegtestFixture.items(chain + [a, b]), into: path)
            try ingest(RegtestFixture.items([c]), into: path)
        } else {
            try ingest(RegtestFixture.items(chain + [a, b, c]), into: path)
        }
        let db = try CaseDatabase(path: path, mode: .readOnly)
        let copies = try StoreQueries.transactions(duplicate.txid, in: db)
        #expect(copies.count == 2)
        let later = try #require(copies.first { $0.block?.height == 105 })
        let earlier = try #require(copies.first { $0.block?.height == 104 })
        #expect(later.outputs[0].spentBy?.txid == spendTx.txid)
        #expect(earlier.outputs[0].spentBy == nil && earlier.outputs[0].overwritten)
        // Only one of the copies exists under consensus: the address holds one coinbase, not two
        // (before, the overwritten copy stayed unspent and the balance counted both).
        let address = try #require(try StoreQueries.address("s:53", in: db))
        #expect(address.balanceSat == 0 && address.spentOutputs == 2)
        let spend = try #require(try StoreQueries.transactions(spendTx.txid, in: db).first)
        #expect(spend.fee == 500)
        #expect(spend.inputs[0].resolved)
        // The narrow clustering input follows the later copy too: the spend's input names its address.
        let (stale, spendRow) = try db.read { db in
            (try ClusterInputs.mismatches(db),
             try Data.fetchOne(db, sql: "SELECT c.addresses FROM clusterInput c JOIN tx t ON t.id = c.txId WHERE t.txid = ?",
                               arguments: [spendTx.txid.digest.data]))
        }
        #expect(stale.isEmpty, "\(stale.prefix(3))")
        #expect(spendRow.map { [UInt8]($0) } != [0xFF, 0xFF, 0xFF, 0xFF], "the spend's input address is resolved")
    }
}
