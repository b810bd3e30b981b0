import BitcoinAddresses
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

/// Where a crawl keeps its frontier. The case database implements it (so an interrupted fetch resumes); tests
/// may keep it in memory. What the crawl finds is not stored here: the crawler is a `ChainSource`, and its
/// transactions go into the case database through the ingest, like every other source's.
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
    /// Whether the block is stored (whole or in part).
    func containsBlock(_ hash: BlockHash) throws -> Bool
    /// The items `nextTask` would still return at exactly `hop`, addresses and transactions apart (the size of
    /// the hop the crawl enters, for its progress).
    func openCounts(hop: Int, maxHops: Int) throws -> (addresses: Int, transactions: Int)
}

/// Where a crawl stands, for a progress line: what it did so far and the stage it is in — listing the addresses,
/// or visiting the transactions of one hop — with the items of the stage done and known. Breadth first, a hop's
/// transactions are all known when the crawl enters it (the hop before is finished; hop 0's come from the
/// listings, which come first), so `done` of `total` is the share of the hop done; the next hop's size is known
/// only when it starts.
public struct EsploraCrawlProgress: Sendable, Equatable {
    public enum Stage: Sendable, Equatable { case listingAddresses, transactions }
    public var summary: EsploraFetchSummary
    public var stage: Stage
    public var hop: Int
    public var maxHops: Int
    /// Items of this stage visited in this run, of those open when the stage began.
    public var done: Int
    public var total: Int

    public init(summary: EsploraFetchSummary, stage: Stage, hop: Int, maxHops: Int, done: Int, total: Int) {
        self.summary = summary; self.stage = stage; self.hop = hop; self.maxHops = maxHops
        self.done = done; self.total = total
    }

    /// The share of the stage done.
    public var fractionComplete: Double? { total > 0 ? min(1, Double(done) / Double(total)) : nil }
}

/// What a fetch did.
public struct EsploraFetchSummary: Sendable, Codable, Equatable {
    public var addressesVisited = 0
    public var pagesRead = 0
    public var transactionsStored = 0
    public var transactionsAlreadyStored = 0
    public var blocksStored = 0
    /// Funding transactions fetched only to learn, from their own bytes, what an input spent.
    public var parentsFetched = 0
    /// Transactions not yet in a block: not stored (a later fetch stores them once confirmed).
    public var unconfirmedSkipped = 0
    public var requests = 0
    public var retries = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case addressesVisited = "addresses_visited", pagesRead = "pages_read"
        case transactionsStored = "transactions_stored", transactionsAlreadyStored = "transactions_already_stored"
        case blocksStored = "blocks_stored", parentsFetched = "parents_fetched", unconfirmedSkipped = "unconfirmed_skipped"
        case requests, retries
    }
}

/// Walks the transaction graph around some addresses through an Esplora API: every confirmed transaction of each
/// address (hop 0), then for each transaction found at hop h < N the transactions that funded its inputs and
/// those that spent its outputs (hop h + 1). Breadth first, so each transaction is reached at its least hop.
///
/// It is a `ChainSource`: each transaction to store comes out as a partial block (`SourceBlock.partial`), which
/// the ingest writes like any other block. Nothing the server says is stored on its word:
/// - the transaction's bytes must hash to its txid, and its JSON must describe those bytes;
/// - its block's header must hash to the block's id and meet its own proof of work within the network's limit,
///   the block's full txid list must hash to the header's merkle root (no txid twice), and the transaction must
///   be in that list — its position; the coinbase (fetched, its bytes hashed) must state the block's height
///   where BIP34 is in force; the ingest then checks the header against every stored block (heights, parents);
/// - what an input spent comes from the funding transaction's own bytes, never from the JSON's `prevout`: a
///   funding transaction the crawl will store itself (hop < N) links up when it arrives; at the last hop it is
///   fetched, hashed, and its output taken — and a JSON `prevout` that differs is a forged answer, refused.
/// A refused answer ends the crawl with an `EsploraError` before anything of it reaches the store.
///
/// Every step is recorded in the store before the next is taken, so an interrupted crawl resumes where it
/// stopped: pages already read are not read again, stored transactions are not fetched again. Ingest it with
/// one block per batch, so a yielded transaction is committed before its item is marked done.
public final class EsploraCrawler: ChainSource {
    public let client: EsploraClient
    public let store: any EsploraFetchStore
    public let maxHops: Int
    public var network: Network? { chain }
    private let chain: Network
    private let progress: ((EsploraCrawlProgress) -> Void)?
    /// The stage the crawl is in (nil before the first item).
    private var stage: EsploraCrawlProgress?
    private var started = false
    private let addresses: [String]
    private let refresh: Bool
    /// The transaction last yielded, whose neighbours are enqueued once it is stored.
    private var yielded: (task: FetchTask, info: EsploraTransaction)?
    private var blocks: [BlockHash: VerifiedBlock] = [:]
    private var parents: [Txid: Transaction] = [:]
    private let startRequests: Int, startRetries: Int
    private var counts = EsploraFetchSummary()
    /// The blocks whose transactions this crawl yielded.
    private var blocksRead: Set<BlockHash> = []

    /// The server, and the blocks whose transactions were fetched from it (sorted).
    public func inputsRead() throws -> [ChainInput] {
        var input = ChainInput(kind: .esplora, location: HTTPTransport.displayString(client.baseURL))
        input.blockHashes = blocksRead.sorted()
        return [input]
    }

    /// A block whose header and txid list were checked.
    struct VerifiedBlock {
        var header: BlockHeader
        var height: Int
        var positions: [Txid: Int]
        var transactionCount: Int
        var size: Int
        var weight: Int
    }

    public init(client: EsploraClient, store: any EsploraFetchStore, network: Network, maxHops: Int,
                addresses: [String], refresh: Bool = false,
                progress: ((EsploraCrawlProgress) -> Void)? = nil) {
        self.client = client
        self.store = store
        self.chain = network
        self.maxHops = max(0, maxHops)
        self.addresses = addresses
        self.refresh = refresh
        self.progress = progress
        startRequests = client.requestCount
        startRetries = client.retryCount
    }

    /// What the crawl did so far.
    public var summary: EsploraFetchSummary {
        var s = counts
        s.requests = client.requestCount - startRequests
        s.retries = client.retryCount - startRetries
        return s
    }

    public func next() throws -> SourceItem? {
        if !started {
            for a in addresses {
                guard EsploraClient.isPlausibleAddress(a) else {
                    throw EsploraError(url: client.baseURL.absoluteString, message: "'\(a)' is not an address")
                }
                try store.enqueue(.address(a), hop: 0, info: nil)
                if refresh { try store.reopen(a) }
            }
            started = true
        }
        if let (task, info) = yielded {
            yielded = nil
            try expand(task, info)
        }
        while let task = try store.nextTask(maxHops: maxHops) {
            try enterStage(of: task)
            switch task.item {
            case .address(let a):
                try visitAddress(a, task: task)
                stage?.done += 1
            case .transaction(let t):
                let item = try visitTransaction(t, task: task)
                stage?.done += 1
                if let item {
                    blocksRead.insert(item.block.hash)
                    reportProgress()
                    return .block(item)
                }
            }
            reportProgress()
        }
        return nil
    }

    /// Starts a new stage when the task is of another kind or hop than the last, sized by the items open in it,
    /// and reports it at once (so its time counts from its start).
    private func enterStage(of task: FetchTask) throws {
        guard let progress else { return }
        let kind: EsploraCrawlProgress.Stage
        if case .address = task.item { kind = .listingAddresses } else { kind = .transactions }
        guard stage?.stage != kind || stage?.hop != task.hop else { return }
        let open = try store.openCounts(hop: task.hop, maxHops: maxHops)
        stage = EsploraCrawlProgress(summary: summary, stage: kind, hop: task.hop, maxHops: maxHops, done: 0,
                                     total: kind == .listingAddresses ? open.addresses : open.transactions)
        progress(stage!)
    }

    private func reportProgress() {
        guard let progress, var current = stage else { return }
        current.summary = summary
        progress(current)
    }

    private func visitAddress(_ address: String, task: FetchTask) throws {
        var after = task.cursor
        while true {
            let page = try client.addressTransactions(address, after: after)
            counts.pagesRead += 1
            var confirmed: [Txid] = []
            for (tx, json) in page {
                guard tx.status.confirmed else {
                    counts.unconfirmedSkipped += 1
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
        counts.addressesVisited += 1
        try store.finish(.address(address), expanded: true)
    }

    /// The transaction as a checked partial block when it must be stored; nil when it is stored already or not
    /// confirmed (its item is then finished here).
    private func visitTransaction(_ txid: Txid, task: FetchTask) throws -> SourceBlock? {
        let info = try task.info.map { try client.decodeTransactionInfo($0, txid: txid) } ?? client.transactionInfo(txid)
        guard info.status.confirmed, let blockHash = info.status.blockHash, let height = info.status.blockHeight else {
            counts.unconfirmedSkipped += 1
            try store.finish(.transaction(txid), expanded: false)
            return nil
        }
        if try store.containsTransaction(txid) {
            counts.transactionsAlreadyStored += 1
            try expand(task, info)
            return nil
        }
        let tx = try client.transaction(txid)
        let hexURL = client.baseURL.absoluteString + "/tx/\(txid.hex)"
        try EsploraClient.check(info, against: tx, url: hexURL)
        let newBlock = try !store.containsBlock(blockHash)
        let block = try verifiedBlock(blockHash, height: height)
        guard let position = block.positions[txid] else {
            throw EsploraError(url: client.baseURL.absoluteString + "/block/\(blockHash.hex)/txids",
                               message: "transaction \(txid.hex) says it is in this block, which does not list it")
        }
        let prevouts = try spentOutputs(of: tx, info: info, hop: task.hop, url: hexURL)
        counts.transactionsStored += 1
        if newBlock { counts.blocksStored += 1 }
        yielded = (task, info)
        return SourceBlock(block: Block(header: block.header, transactions: [tx]), height: height,
                           prevouts: [prevouts], location: SourceLocation(file: hexURL), structureChecked: true,
                           partial: PartialBlock(positions: [position], transactionCount: block.transactionCount,
                                                 size: block.size, weight: block.weight))
    }

    /// Enqueues the transaction's funding and spending transactions (below the last hop) and finishes it.
    private func expand(_ task: FetchTask, _ info: EsploraTransaction) throws {
        guard task.hop < maxHops else {
            try store.finish(task.item, expanded: false)
            return
        }
        guard case .transaction(let txid) = task.item else { return }
        for input in info.vin where !input.isCoinbase {
            try store.enqueue(.transaction(input.txid), hop: task.hop + 1, info: nil)
        }
        for spend in try client.outspends(txid) where spend.spent {
            if let spender = spend.txid { try store.enqueue(.transaction(spender), hop: task.hop + 1, info: nil) }
        }
        try store.finish(task.item, expanded: true)
    }
}

// MARK: Checking what the server says

extension EsploraCrawler {
    /// The height from which each network's coinbases state their block's height (BIP34).
    static func bip34Height(_ network: Network) -> Int {
        switch network {
        case .main: return 227_931
        case .testnet3: return 21_111
        case .testnet4, .signet, .regtest: return 1
        }
    }

    /// The block, checked: header hash and proof of work, txid list against the merkle root, transaction count,
    /// and the BIP34 height of its coinbase.
    func verifiedBlock(_ hash: BlockHash, height: Int) throws -> VerifiedBlock {
        let url = client.baseURL.absoluteString + "/block/\(hash.hex)"
        if let known = blocks[hash] {
            guard known.height == height else {
                throw EsploraError(url: url, message: "the block is at height \(known.height), a transaction said \(height)")
            }
            return known
        }
        let header = try client.blockHeader(hash)
        if let fault = header.proofOfWorkFault(powLimit: chain.powLimit) {
            throw EsploraError(url: url + "/header", message: "\(fault)")
        }
        let summary = try client.blockSummary(hash)
        guard summary.height == height else {
            throw EsploraError(url: url, message: "the block is at height \(summary.height), its transaction said \(height)")
        }
        let txids = try client.blockTxids(hash)
        if let fault = Block.transactionListFault(txids, isCoinbase: nil, merkleRoot: header.merkleRoot) {
            throw EsploraError(url: url + "/txids", message: "the block's txid list does not check out against its header: \(fault)")
        }
        guard txids.count == summary.txCount else {
            throw EsploraError(url: url, message: "tx_count is \(summary.txCount) but the block lists \(txids.count) txids")
        }
        if height >= Self.bip34Height(chain) {
            let coinbase = try client.transaction(txids[0])
            guard coinbase.isCoinbase, Block.bip34Height(coinbaseScript: coinbase.inputs[0].scriptSig) == height else {
                throw EsploraError(url: client.baseURL.absoluteString + "/tx/\(txids[0].hex)/hex",
                                   message: "the block's coinbase does not state height \(height) (BIP34)")
            }
        }
        var positions: [Txid: Int] = [:]
        for (i, t) in txids.enumerated() { positions[t] = i }
        let block = VerifiedBlock(header: header, height: height, positions: positions, transactionCount: txids.count,
                                  size: summary.size, weight: summary.weight)
        // Keep a few blocks: neighbouring transactions often share one.
        if blocks.count > 64 { blocks.removeAll(keepingCapacity: true) }
        blocks[hash] = block
        return block
    }

    /// What each input spent, from the funding transaction's own bytes (see the type's documentation): nil where
    /// the crawl will store the funding transaction itself (below the last hop) or already has.
    func spentOutputs(of tx: Transaction, info: EsploraTransaction, hop: Int, url: String) throws -> [TxOut?] {
        guard !tx.isCoinbase else { return tx.inputs.map { _ in nil } }
        var out: [TxOut?] = []
        for (n, input) in tx.inputs.enumerated() {
            let parentTxid = input.prevout.txid
            guard hop >= maxHops, try !store.containsTransaction(parentTxid) else { out.append(nil); continue }
            let parent = try fundingTransaction(parentTxid)
            guard Int(input.prevout.vout) < parent.outputs.count else {
                throw EsploraError(url: url, message: "input \(n) spends output \(input.prevout.vout) of \(parentTxid.hex), "
                                   + "which has only \(parent.outputs.count) outputs")
            }
            let spent = parent.outputs[Int(input.prevout.vout)]
            if let stated = info.vin[n].prevout,
               stated.value != spent.value.satoshis || stated.scriptpubkey != Hex.encode(spent.scriptPubKey) {
                throw EsploraError(url: client.baseURL.absoluteString + "/tx/\(tx.txid.hex)",
                                   message: "vin.\(n).prevout says \(stated.value) sat to script \(stated.scriptpubkey), but "
                                   + "output \(input.prevout.vout) of \(parentTxid.hex) is \(spent.value.satoshis) sat to "
                                   + "\(Hex.encode(spent.scriptPubKey)): a forged answer, nothing of it is stored")
            }
            out.append(spent)
        }
        return out
    }

    private func fundingTransaction(_ txid: Txid) throws -> Transaction {
        if let known = parents[txid] { return known }
        let tx = try client.transaction(txid)
        counts.parentsFetched += 1
        if parents.count > 256 { parents.removeAll(keepingCapacity: true) }
        parents[txid] = tx
        return tx
    }
}

/// A frontier in memory, for tests and one-off crawls that need no database; `record` stands in for storing.
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
    /// What a test recorded as stored (`record`), so the crawl treats it as the database would.
    public private(set) var transactions: [Txid: SourceBlock] = [:]
    public private(set) var blocks: [BlockHash: SourceBlock] = [:]

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

    public func openCounts(hop: Int, maxHops: Int) throws -> (addresses: Int, transactions: Int) {
        var counts = (addresses: 0, transactions: 0)
        for (item, e) in entries where e.hop == hop && (!e.visited || (!e.expanded && hop < maxHops)) {
            if case .address = item { counts.addresses += 1 } else { counts.transactions += 1 }
        }
        return counts
    }

    /// Records a block the crawler yielded as stored.
    public func record(_ item: SourceBlock) {
        for tx in item.block.transactions { transactions[tx.txid] = item }
        blocks[item.block.hash] = item
    }
}
