import BitcoinPrimitives
import Foundation

/// Something the crawl visits: an address (all its transactions) or one transaction.
public enum FetchItem: Hashable, Sendable, CustomStringConvertible {
    case address(String)
    case transaction(Txid)

    public var description: String {
        switch self {
        case .address(let a): return "address \(a)"
        case .transaction(let t): return "transaction \(t.hex)"
        }
    }
}

/// A frontier entry: what to visit, how many hops from the given addresses, and (addresses) the last txid of
/// the last page already read.
public struct FetchTask: Sendable, Equatable {
    public var item: FetchItem
    public var hop: Int
    public var cursor: Txid?
    /// A transaction's JSON as an address listing gave it, kept so it need not be asked for again.
    public var info: [UInt8]?

    public init(item: FetchItem, hop: Int, cursor: Txid? = nil, info: [UInt8]? = nil) {
        self.item = item
        self.hop = hop
        self.cursor = cursor
        self.info = info
    }
}

/// A confirmed transaction as fetched: its exact bytes, what each input spent (from the API's `prevout`), and
/// where it was mined.
public struct FetchedTransaction: Sendable {
    public var transaction: Transaction
    public var prevouts: [TxOut?]
    public var blockHash: BlockHash
    public var height: Int
    /// Position in the block (from `/block/:hash/txids`).
    public var position: Int
}

/// A block some fetched transactions belong to; the store keeps it as a partial block.
public struct FetchedBlock: Sendable {
    public var header: BlockHeader
    public var height: Int
    /// How many transactions the whole block has.
    public var transactionCount: Int
    public var size: Int
    public var weight: Int
}

/// Where a crawl keeps its frontier and its results. The case database implements it (so an interrupted fetch
/// resumes); tests may keep it in memory.
public protocol EsploraFetchStore: AnyObject {
    /// Adds an item to visit at `hop`, unless it is already known at that hop or a lower one. An item known at a
    /// higher hop is moved down to `hop` and visited again (it may now be expanded further). `info` is the
    /// transaction's JSON when a listing gave it (kept until the item is finished).
    func enqueue(_ item: FetchItem, hop: Int, info: [UInt8]?) throws
    /// The next item to visit with `hop <= maxHops`, lowest hop first, then in order of discovery: items never
    /// visited, and visited items left unexpanded at a hop below `maxHops` (an earlier, shallower fetch).
    func nextTask(maxHops: Int) throws -> FetchTask?
    /// Marks a visited address to be listed again from its first page (new transactions since the last fetch).
    func reopen(_ address: String) throws
    /// Records how far an address's pages have been read.
    func saveCursor(_ address: String, after: Txid) throws
    /// Marks an item visited (and drops its kept JSON); `expanded` when its neighbours were enqueued.
    func finish(_ item: FetchItem, expanded: Bool) throws
    /// Whether the transaction is stored already (then its bytes are not fetched again).
    func containsTransaction(_ txid: Txid) throws -> Bool
    /// The block's position map when the block is stored; nil when it must be fetched.
    func containsBlock(_ hash: BlockHash) throws -> Bool
    /// Stores a fetched transaction, with its block when the block is new.
    func store(_ fetched: FetchedTransaction, block: FetchedBlock?) throws
}

/// What a fetch did.
public struct EsploraFetchSummary: Sendable, Codable, Equatable {
    public var addressesVisited = 0
    public var pagesRead = 0
    public var transactionsStored = 0
    public var transactionsAlreadyStored = 0
    public var blocksStored = 0
    /// Transactions not yet in a block: not stored (a later fetch stores them once confirmed).
    public var unconfirmedSkipped = 0
    public var requests = 0
    public var retries = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case addressesVisited = "addresses_visited", pagesRead = "pages_read"
        case transactionsStored = "transactions_stored", transactionsAlreadyStored = "transactions_already_stored"
        case blocksStored = "blocks_stored", unconfirmedSkipped = "unconfirmed_skipped"
        case requests, retries
    }
}

/// Walks the transaction graph around some addresses through an Esplora API: every confirmed transaction of each
/// address (hop 0), then for each transaction found at hop h < N the transactions that funded its inputs and
/// those that spent its outputs (hop h + 1). Breadth first, so each transaction is reached at its least hop.
///
/// Every step is recorded in the store before the next is taken, so an interrupted crawl resumes where it
/// stopped: pages already read are not read again, stored transactions are not fetched again.
public final class EsploraCrawler {
    public let client: EsploraClient
    public let store: any EsploraFetchStore
    public let maxHops: Int
    private var blockTxids: [BlockHash: [Txid: Int]] = [:]
    public private(set) var summary = EsploraFetchSummary()

    public init(client: EsploraClient, store: any EsploraFetchStore, maxHops: Int) {
        self.client = client
        self.store = store
        self.maxHops = max(0, maxHops)
    }

    /// Crawls from `addresses` (added to the frontier at hop 0) until the frontier is empty. With `refresh`,
    /// addresses visited by an earlier fetch are listed again, so transactions confirmed since are found.
    /// `progress` is called after each visited item.
    public func run(addresses: [String], refresh: Bool = false,
                    progress: ((EsploraFetchSummary, FetchTask) -> Void)? = nil) throws -> EsploraFetchSummary {
        let startRequests = client.requestCount
        let startRetries = client.retryCount
        func account() {
            summary.requests = client.requestCount - startRequests
            summary.retries = client.retryCount - startRetries
        }
        do {
            try crawl(addresses, refresh: refresh, progress: progress)
        } catch {
            account()
            throw error
        }
        account()
        return summary
    }

    private func crawl(_ addresses: [String], refresh: Bool,
                       progress: ((EsploraFetchSummary, FetchTask) -> Void)?) throws {
        for a in addresses {
            guard EsploraClient.isPlausibleAddress(a) else {
                throw EsploraError(url: client.baseURL.absoluteString, message: "'\(a)' is not an address")
            }
            try store.enqueue(.address(a), hop: 0, info: nil)
            if refresh { try store.reopen(a) }
        }
        while let task = try store.nextTask(maxHops: maxHops) {
            switch task.item {
            case .address(let a): try visitAddress(a, task: task)
            case .transaction(let t): try visitTransaction(t, task: task)
            }
            progress?(summary, task)
        }
    }

    private func visitAddress(_ address: String, task: FetchTask) throws {
        var after = task.cursor
        while true {
            let page = try client.addressTransactions(address, after: after)
            summary.pagesRead += 1
            var confirmed: [Txid] = []
            for (tx, json) in page {
                guard tx.status.confirmed else {
                    summary.unconfirmedSkipped += 1
                    continue
                }
                confirmed.append(tx.txid)
                try store.enqueue(.transaction(tx.txid), hop: task.hop, info: json)
            }
            // A short page is the last; an empty one too (servers with another page size).
            guard let last = confirmed.last, confirmed.count >= client.chainPageSize else { break }
            try store.saveCursor(address, after: last)
            after = last
        }
        summary.addressesVisited += 1
        try store.finish(.address(address), expanded: true)
    }

    private func visitTransaction(_ txid: Txid, task: FetchTask) throws {
        let hop = task.hop
        let info = try task.info.map { try client.decodeTransactionInfo($0, txid: txid) } ?? client.transactionInfo(txid)
        guard info.status.confirmed, let blockHash = info.status.blockHash, let height = info.status.blockHeight else {
            summary.unconfirmedSkipped += 1
            try store.finish(.transaction(txid), expanded: false)
            return
        }
        if try store.containsTransaction(txid) {
            summary.transactionsAlreadyStored += 1
        } else {
            let tx = try client.transaction(txid)
            let hexURL = client.baseURL.absoluteString + "/tx/\(txid.hex)"
            try EsploraClient.check(info, against: tx, url: hexURL)
            let prevouts = try EsploraClient.prevouts(of: info, url: hexURL)
            var block: FetchedBlock?
            if try !store.containsBlock(blockHash) { block = try fetchBlock(blockHash, statedHeight: height) }
            let positions = try positionsInBlock(blockHash)
            guard let position = positions[txid] else {
                throw EsploraError(url: client.baseURL.absoluteString + "/block/\(blockHash.hex)/txids",
                                   message: "transaction \(txid.hex) says it is in this block, which does not list it")
            }
            try store.store(FetchedTransaction(transaction: tx, prevouts: prevouts, blockHash: blockHash,
                                               height: height, position: position), block: block)
            summary.transactionsStored += 1
            if block != nil { summary.blocksStored += 1 }
        }
        guard hop < maxHops else {
            try store.finish(.transaction(txid), expanded: false)
            return
        }
        for input in info.vin where !input.isCoinbase {
            try store.enqueue(.transaction(input.txid), hop: hop + 1, info: nil)
        }
        for spend in try client.outspends(txid) where spend.spent {
            if let spender = spend.txid { try store.enqueue(.transaction(spender), hop: hop + 1, info: nil) }
        }
        try store.finish(.transaction(txid), expanded: true)
    }

    private func positionsInBlock(_ hash: BlockHash) throws -> [Txid: Int] {
        if let known = blockTxids[hash] { return known }
        let list = try client.blockTxids(hash)
        var map: [Txid: Int] = [:]
        for (i, t) in list.enumerated() { map[t] = i }
        // Keep a few blocks' maps: neighbouring transactions often share a block.
        if blockTxids.count > 64 { blockTxids.removeAll(keepingCapacity: true) }
        blockTxids[hash] = map
        return map
    }

    private func fetchBlock(_ hash: BlockHash, statedHeight: Int) throws -> FetchedBlock {
        let header = try client.blockHeader(hash)
        let summary = try client.blockSummary(hash)
        guard summary.height == statedHeight else {
            throw EsploraError(url: client.baseURL.absoluteString + "/block/\(hash.hex)",
                               message: "the block is at height \(summary.height), its transaction said \(statedHeight)")
        }
        return FetchedBlock(header: header, height: summary.height, transactionCount: summary.txCount,
                            size: summary.size, weight: summary.weight)
    }
}

/// A frontier and result store in memory: for tests and one-off crawls that need no database.
public final class InMemoryEsploraFetchStore: EsploraFetchStore {
    struct Entry {
        var hop: Int
        var order: Int
        var visited = false
        var expanded = false
        var cursor: Txid?
        var info: [UInt8]?
    }

    private var entries: [FetchItem: Entry] = [:]
    private var counter = 0
    public private(set) var transactions: [Txid: FetchedTransaction] = [:]
    public private(set) var blocks: [BlockHash: FetchedBlock] = [:]

    public init() {}

    public func enqueue(_ item: FetchItem, hop: Int, info: [UInt8]?) throws {
        if var e = entries[item] {
            if !e.visited, e.info == nil, let info { entries[item]?.info = info; e.info = info }
            guard hop < e.hop else { return }
            e.hop = hop
            e.visited = false
            e.expanded = false
            entries[item] = e
            return
        }
        counter += 1
        entries[item] = Entry(hop: hop, order: counter, info: info)
    }

    public func nextTask(maxHops: Int) throws -> FetchTask? {
        let open = entries.filter { $0.value.hop <= maxHops && (!$0.value.visited || (!$0.value.expanded && $0.value.hop < maxHops)) }
        guard let best = open.min(by: { ($0.value.hop, $0.value.order) < ($1.value.hop, $1.value.order) }) else {
            return nil
        }
        return FetchTask(item: best.key, hop: best.value.hop, cursor: best.value.cursor, info: best.value.info)
    }

    public func saveCursor(_ address: String, after: Txid) throws { entries[.address(address)]?.cursor = after }

    public func reopen(_ address: String) throws {
        entries[.address(address)]?.visited = false
        entries[.address(address)]?.cursor = nil
    }

    public func finish(_ item: FetchItem, expanded: Bool) throws {
        entries[item]?.visited = true
        entries[item]?.expanded = expanded
        entries[item]?.info = nil
    }

    public func containsTransaction(_ txid: Txid) throws -> Bool { transactions[txid] != nil }
    public func containsBlock(_ hash: BlockHash) throws -> Bool { blocks[hash] != nil }

    public func store(_ fetched: FetchedTransaction, block: FetchedBlock?) throws {
        transactions[fetched.transaction.txid] = fetched
        if let block { blocks[block.header.hash] = block }
    }
}
