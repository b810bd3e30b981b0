import BitcoinPrimitives
import ChainSources
import GRDB

/// Blocks held in part (`SourceBlock.partial`: what `spoor fetch` brings): a partial block is stored with the
/// transactions it holds, at their positions, and listed in `partial_block`; later parts add their
/// transactions; when an ingest brings the whole block, the transactions already stored keep their rows and the
/// others are added at their positions, resolved like any block's; the block row then counts them all and leaves
/// `partial_block`.
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

    /// Queues more transactions for a stored block (heights already checked by `judge`).
    func queueAddition(_ sb: SourceBlock) {
        actions.append(.addToStored(sb))
        actionTransactions += sb.block.transactions.count
        actionBlocks += 1
    }

    /// Stores the transactions of a partial block that its stored part lacks, at their positions. A block stored
    /// whole must already hold every one of them: otherwise the sources disagree.
    func stageAddition(_ sb: SourceBlock, _ db: Database) throws {
        guard let partial = sb.partial else { return }
        let hash = sb.block.hash
        var blockId = try Int64.fetchOne(db, sql: "SELECT id FROM block WHERE hash = ?", arguments: [hash.digest.data])
        if blockId == nil {
            // Staged earlier in this batch: write what is staged so the block and its rows can be read.
            try writeStaged(db)
            blockId = try Int64.fetchOne(db, sql: "SELECT id FROM block WHERE hash = ?", arguments: [hash.digest.data])
        }
        guard let blockId else {
            throw StoreError.badData("block \(hash) is neither stored nor staged", at: sb.location)
        }
        let stored = try storedPositions(blockId, db)
        let isPartial = partialBlocks[hash] != nil
        var added = 0
        for (k, tx) in sb.block.transactions.enumerated() {
            let position = partial.positions[k]
            if let p = stored[tx.txid] {
                guard p == position else {
                    throw StoreError.sourcesDisagree("transaction \(tx.txid) is at position \(p) of block \(hash) as "
                        + "stored but at position \(position) per the source", at: sb.location)
                }
                summary.transactionsSkipped += 1
                continue
            }
            guard isPartial else {
                throw StoreError.sourcesDisagree("block \(hash) is stored whole but does not hold transaction \(tx.txid)",
                                                 at: sb.location)
            }
            try stageTransaction(tx, blockId: blockId, position: position, stated: sb.prevouts?[k],
                                 location: sb.location, db)
            added += 1
        }
        if added > 0 {
            try db.execute(sql: "UPDATE block SET txCount = txCount + ? WHERE id = ?", arguments: [added, blockId])
        }
    }

    private func storedPositions(_ blockId: Int64, _ db: Database) throws -> [Txid: Int] {
        var stored: [Txid: Int] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT txid, position FROM tx WHERE blockId = ?", arguments: [blockId])
        while let row = try rows.next() {
            guard let digest = row.digest("txid") else { continue }
            stored[Txid(digest: digest)] = row["position"]
        }
        return stored
    }

    func stageFill(_ sb: SourceBlock, blockId: Int64, _ db: Database) throws {
        let block = sb.block
        let stored = try storedPositions(blockId, db)
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
                staged.attachments.append((looseId, blockId, position))
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
