import BitcoinPrimitives
import GRDB

extension IngestState {
    /// Rolls the stored best chain back to `forkHeight`: transactions of the disconnected blocks are removed
    /// (a branch that confirms them again stores them again), the outputs they spent become unspent, inputs of
    /// loose transactions that spent their outputs become unresolved, and the blocks stay as stale rows
    /// (`inBestChain = 0`). Runs inside the batch's write transaction.
    func disconnect(above forkHeight: Int, oldTip: BlockHash, newTip: BlockHash, _ db: Database) throws {
        let blocks = try Row.fetchAll(db, sql: """
            SELECT id, hash FROM block WHERE inBestChain = 1 AND height > ? ORDER BY height DESC
            """, arguments: [forkHeight])
        // Address lookups below need the address indexes; a reorg is rare enough to pay for them.
        try leaveBulkLoad(db)
        var removed = 0
        var touchedAddresses: Set<Int64> = []
        var affected: Set<Int64> = []
        for block in blocks {
            let blockId: Int64 = block["id"]
            let txIds = try Int64.fetchAll(db, sql: "SELECT id FROM tx WHERE blockId = ? ORDER BY position DESC",
                                           arguments: [blockId])
            for txId in txIds {
                try removeTransaction(txId, affected: &affected, touchedAddresses: &touchedAddresses, db)
                removed += 1
            }
            try db.execute(sql: "UPDATE block SET inBestChain = 0 WHERE id = ?", arguments: [blockId])
            if let d = block.digest("hash") { staleBlockIds[BlockHash(digest: d)] = blockId }
        }
        try ClusterInputs.rebuild(db, txIds: affected.sorted())
        // Addresses only the removed transactions used go too, so a clean ingest of the final chain matches.
        for id in touchedAddresses.sorted() {
            try db.execute(sql: """
                DELETE FROM address WHERE id = ?1
                  AND NOT EXISTS (SELECT 1 FROM output WHERE addressId = ?1)
                  AND NOT EXISTS (SELECT 1 FROM input WHERE addressId = ?1)
                """, arguments: [id])
        }
        try db.execute(sql: """
            INSERT INTO reorg(forkHeight, oldTip, newTip, blocksDisconnected, transactionsRemoved)
            VALUES (?, ?, ?, ?, ?)
            """, arguments: [forkHeight, oldTip.digest.data, newTip.digest.data, blocks.count, removed])
        summary.reorgs.append(RolledBackBranch(forkHeight: forkHeight, oldTip: oldTip, newTip: newTip,
                                               blocksDisconnected: blocks.count, transactionsRemoved: removed))
        try reloadCaches(db)
    }

    /// Removes one transaction of a disconnected block: what it spent is unspent again, what spent it (loose
    /// transactions that stay) is unlinked, and its rows go. Collects the transactions whose clustering rows must
    /// be rewritten and the addresses that may now be unused.
    private func removeTransaction(_ txId: Int64, affected: inout Set<Int64>, touchedAddresses: inout Set<Int64>,
                                   _ db: Database) throws {
        // Transactions that stay but lose an input's address below: their narrow clustering rows are
        // rewritten at the end (ClusterInputs.swift); the removed ones' rows go with them.
        affected.formUnion(try Int64.fetchAll(db, sql: """
            SELECT txId FROM input WHERE id IN (SELECT spentByInputId FROM output WHERE txId = ?1
                AND spentByInputId IS NOT NULL)
            UNION SELECT txId FROM input WHERE spentOutputId IN (SELECT id FROM output WHERE txId = ?1)
            """, arguments: [txId]))
        affected.insert(txId)
        // Outputs of an earlier copy that this transaction overwrote (BIP30) are unspent again.
        try db.execute(sql: """
            UPDATE output SET spentByInputId = NULL WHERE spentByInputId = \(Schema.overwrittenSpender)
              AND txId IN (SELECT id FROM tx WHERE \(Schema.txidMatches("txid", "(SELECT txid FROM tx WHERE id = ?1)"))
                  AND id <> ?1)
            """, arguments: [txId])
        // Outputs this transaction spent are unspent again.
        try db.execute(sql: """
            UPDATE output SET spentByInputId = NULL
            WHERE id IN (SELECT spentOutputId FROM input WHERE txId = ?1 AND spentOutputId IS NOT NULL)
              AND spentByInputId IN (SELECT id FROM input WHERE txId = ?1)
            """, arguments: [txId])
        // Spenders of its outputs that stay (loose transactions) lose their link.
        try db.execute(sql: """
            UPDATE tx SET fee = NULL WHERE id IN (SELECT i.txId FROM input i JOIN output o
                ON i.id = o.spentByInputId WHERE o.txId = ?1) AND isCoinbase = 0
            """, arguments: [txId])
        // Unlinked inputs name their prevout's txid again (InputPrevTxid.swift).
        try db.execute(sql: """
            UPDATE input SET spentOutputId = NULL, addressId = NULL, value = NULL,
                prevTxid = (SELECT txid FROM tx WHERE id = ?1)
            WHERE id IN (SELECT spentByInputId FROM output WHERE txId = ?1 AND spentByInputId IS NOT NULL)
            """, arguments: [txId])
        // Spends by loose transactions recorded only on the input side.
        try db.execute(sql: """
            UPDATE input SET spentOutputId = NULL, addressId = NULL, value = NULL,
                prevTxid = (SELECT txid FROM tx WHERE id = ?1)
            WHERE spentOutputId IN (SELECT id FROM output WHERE txId = ?1) AND txId <> ?1
            """, arguments: [txId])
        for id in try Int64.fetchAll(db, sql: """
            SELECT addressId FROM output WHERE txId = ? AND addressId IS NOT NULL
            UNION SELECT addressId FROM input WHERE txId = ? AND addressId IS NOT NULL
            """, arguments: [txId, txId]) { touchedAddresses.insert(id) }
        try db.execute(sql: "DELETE FROM input WHERE txId = ?", arguments: [txId])
        try db.execute(sql: "DELETE FROM output WHERE txId = ?", arguments: [txId])
        try db.execute(sql: "DELETE FROM tx WHERE id = ?", arguments: [txId])
    }

    /// Caches described the removed rows: rebuild the id counters and waiting inputs, fall back to the database
    /// for outputs; the chain's own view (best blocks, tip, stale blocks) stays as the reorg set it.
    private func reloadCaches(_ db: Database) throws {
        let savedStale = staleBlockIds
        let savedBest = best
        let savedAtHeight = bestAtHeight
        let savedTip = tip
        try load(db)
        staleBlockIds.merge(savedStale) { a, _ in a }
        best = savedBest
        bestAtHeight = savedAtHeight
        tip = savedTip
        try beginStaging()
    }
}
