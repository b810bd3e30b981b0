import BitcoinPrimitives
import ChainSources
import GRDB

/// Completing blocks that `spoor fetch` stored partially (see `CaseEsploraFetchStore`): when an ingest brings
/// the whole block, the transactions the fetch stored keep their rows and the others are added at their
/// positions, resolved like any block's; the block row then counts them all and leaves `partial_block`.
extension IngestState {
    func loadPartialBlocks(_ db: Database) throws {
        partialBlocks.removeAll()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT b.id, b.hash FROM partial_block p JOIN block b ON b.id = p.blockId WHERE b.inBestChain = 1
            """)
        while let row = try rows.next() {
            guard let digest = row.digest("hash") else { continue }
            partialBlocks[BlockHash(digest: digest)] = row["id"]
        }
    }

    /// Queues the whole block for a partially stored one (heights already checked by `judge`).
    func fill(_ sb: SourceBlock, blockId: Int64) {
        best[sb.block.hash]?.txCount = sb.block.transactions.count
        actions.append(.fill(sb, blockId: blockId))
        actionTransactions += sb.block.transactions.count
        actionBlocks += 1
    }

    func stageFill(_ sb: SourceBlock, blockId: Int64, _ db: Database) throws {
        let block = sb.block
        var stored: [Txid: Int] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT txid, position FROM tx WHERE blockId = ?", arguments: [blockId])
        while let row = try rows.next() {
            guard let digest = row.digest("txid") else { continue }
            stored[Txid(digest: digest)] = row["position"]
        }
        var found = 0
        for (position, tx) in block.transactions.enumerated() {
            if let p = stored[tx.txid] {
                guard p == position else {
                    throw StoreError.sourcesDisagree("transaction \(tx.txid) is at position \(p) of block \(block.hash) "
                        + "as fetched but at position \(position) here", at: sb.location)
                }
                found += 1
                continue
            }
            if let looseId = looseTxids.removeValue(forKey: tx.txid) {
                attachments.append((looseId, blockId, position))
                summary.transactionsConfirmed += 1
                for input in tx.inputs where !input.prevout.isNull { spentByLoose.removeValue(forKey: input.prevout) }
                continue
            }
            try stageTransaction(tx, blockId: blockId, position: position, stated: sb.prevouts?[position],
                                 location: sb.location, db)
        }
        guard found == stored.count else {
            throw StoreError.sourcesDisagree("block \(block.hash) holds \(stored.count - found) fetched transaction(s) "
                                             + "that the whole block does not contain", at: sb.location)
        }
        try db.execute(sql: "UPDATE block SET txCount = ?, size = ?, strippedSize = ?, weight = ? WHERE id = ?",
                       arguments: [block.transactions.count, block.size, block.strippedSize, block.weight, blockId])
        try db.execute(sql: "DELETE FROM partial_block WHERE blockId = ?", arguments: [blockId])
        summary.blocksAdded += 1
    }
}
