import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// What a case database already holds of the best chain, so that a follow-up ingest from a node reads only
/// what is new: the heights of its lowest and highest stored blocks (a database ingested `--from-height N`
/// starts at N) and the stored best-chain hash at given heights.
public struct StoredChain {
    public var lowestHeight: Int
    public var tipHeight: Int
    public var hashes: ([Int]) throws -> [Int: BlockHash]

    public init(lowestHeight: Int = 0, tipHeight: Int, hashes: @escaping ([Int]) throws -> [Int: BlockHash]) {
        self.lowestHeight = lowestHeight
        self.tipHeight = tipHeight
        self.hashes = hashes
    }
}

/// A live Bitcoin Core node as a chain source: the blocks of a height range, fetched with batched JSON-RPC
/// (`getblockhash` for a run of heights in one request, then `getblock <hash> 3` for them in another) and decoded
/// by the same checked node-JSON conversion as `rpc/blocks.jsonl` files (`NodeJSONSource`).
///
/// Verbosity 3 carries each input's `prevout`; a node that refuses it (older than Core 23, or another
/// implementation) is asked again with verbosity 2, and inputs are then resolved from Spoor's own outputs.
/// A batch whose answer would be larger than the client accepts is asked for again in halves.
public final class NodeRPCSource: ChainSource {
    public private(set) var network: Network?
    public let client: NodeRPCClient
    public let fromHeight: Int
    public let toHeight: Int
    /// Blocks per `getblock` batch request (halved for good when an answer is too large).
    public private(set) var blocksPerRequest: Int
    /// 3 until the node refuses it, then 2.
    public private(set) var verbosity = 3
    /// The chain name the node reported (`main`, `test`, `regtest`, …).
    public let chain: String
    /// Heights whose `getblock` answers were read, in order (what a follow-up ingest costs the node).
    public private(set) var heightsRead: [Int] = []
    /// The stored best-chain heights above the last height the database and the node's best chain share:
    /// blocks the node no longer has on its best chain (nil when there are none, or without `stored`).
    public private(set) var storedAboveFork: ClosedRange<Int>?

    private var nextHeight: Int
    /// The height and hash of the last block yielded.
    private var lastRead: (height: Int, hash: BlockHash)?
    private var buffered: [SourceBlock] = []
    private var bufferIndex = 0
    private var failure: (any Error)?

    /// Asks the node for its chain and tip. Without `toHeight`, reads up to the tip the node has now. Without
    /// `fromHeight`, starts at 0, or — given what the database holds (`stored`) — just above the highest stored
    /// best-chain block the node also has on its best chain, so that only new blocks (and a reorg's replacements
    /// of stored ones) are read.
    public init(client: NodeRPCClient, fromHeight: Int? = nil, toHeight: Int? = nil,
                blocksPerRequest: Int = 16, stored: StoredChain? = nil) throws {
        let info = try client.blockchainInfo()
        let to = toHeight ?? info.blocks
        if let fromHeight, fromHeight < 0 {
            throw NodeRPCError(.inconsistent, "--from-height \(fromHeight) is negative")
        }
        guard to <= info.blocks else {
            throw NodeRPCError(.inconsistent, "--to-height \(to) is above the node's tip (height \(info.blocks) "
                + "at \(client.displayURL))")
        }
        if let fromHeight, fromHeight > to {
            throw NodeRPCError(.inconsistent, "--from-height \(fromHeight) is above --to-height \(to)")
        }
        var from = fromHeight ?? 0
        if fromHeight == nil, let stored {
            from = try Self.forkPoint(client, stored: stored, nodeTip: info.blocks).map { $0 + 1 } ?? 0
            if from <= stored.tipHeight { storedAboveFork = from...stored.tipHeight }
        }
        if from <= to, let pruneHeight = info.pruneHeight, from < pruneHeight {
            throw NodeRPCError(.inconsistent, "\(client.displayURL) is a pruned node: its blocks below height "
                + "\(pruneHeight) are gone, and the first height asked for, \(from), is one of them (heights "
                + "\(from)–\(min(to, pruneHeight - 1)) are missing); ingest from --from-height \(pruneHeight) "
                + "(inputs that spend older outputs stay unresolved), or use an unpruned node")
        }
        self.client = client
        self.fromHeight = from
        self.toHeight = to
        self.blocksPerRequest = max(1, blocksPerRequest)
        self.chain = info.chain
        self.network = info.network
        nextHeight = from
    }

    /// The highest height at which the stored best chain and the node's best chain have the same block, found
    /// from the lower of the two tips down to the lowest stored height, 16 heights per request; when they share
    /// none there, the height below the lowest stored block (reading starts where the database starts).
    static func forkPoint(_ client: NodeRPCClient, stored: StoredChain, nodeTip: Int) throws -> Int? {
        var top = min(stored.tipHeight, nodeTip)
        while top >= stored.lowestHeight {
            let window = Array(max(stored.lowestHeight, top - 15)...top)
            let mine = try stored.hashes(window)
            let nodes = try client.blockHashes(window)
            for (height, hash) in zip(window, nodes).reversed() where mine[height] == hash { return height }
            top = window[0] - 1
        }
        return stored.lowestHeight > 0 ? stored.lowestHeight - 1 : nil
    }

    /// The node, its chain and the range read, up to the hash of its top block (none when nothing was new).
    public func inputsRead() throws -> [ChainInput] {
        var input = ChainInput(kind: .node, location: client.displayURL)
        input.chain = chain
        if let lastRead {
            input.firstHeight = fromHeight
            input.tipHeight = lastRead.height
            input.tipHash = lastRead.hash
        }
        return [input]
    }

    /// How much of the range has been read (0…1).
    public var fractionComplete: Double? {
        let total = toHeight - fromHeight + 1
        return total > 0 ? Double(nextHeight - fromHeight - (buffered.count - bufferIndex)) / Double(total) : 1
    }

    public func next() throws -> SourceItem? {
        if let failure { throw failure }
        do {
            if bufferIndex == buffered.count {
                guard nextHeight <= toHeight else { return nil }
                try fetchBatch()
            }
            let sb = buffered[bufferIndex]
            bufferIndex += 1
            lastRead = (sb.height ?? nextHeight, sb.block.hash)
            return .block(sb)
        } catch {
            failure = error
            throw error
        }
    }

    private func fetchBatch() throws {
        while true {
            let heights = Array(nextHeight...min(toHeight, nextHeight + blocksPerRequest - 1))
            do {
                buffered = try fetch(heights)
            } catch let error as NodeRPCError where error.kind == .answerTooLarge && heights.count > 1 {
                blocksPerRequest = max(1, heights.count / 2)
                continue
            }
            bufferIndex = 0
            heightsRead += heights
            nextHeight = heights[heights.count - 1] + 1
            return
        }
    }

    private func fetch(_ heights: [Int]) throws -> [SourceBlock] {
        let hashes = try client.blockHashes(heights)
        var replies = try client.batch(getblockCalls(hashes, heights))
        if verbosity == 3, case .error(let code, let message) = replies[0], Self.refusesVerbosity(code, message) {
            verbosity = 2
            replies = try client.batch(getblockCalls(hashes, heights))
        }
        var blocks: [SourceBlock] = []
        blocks.reserveCapacity(heights.count)
        for (i, reply) in replies.enumerated() {
            let call = NodeRPCCall(method: "getblock", params: "", context: "height \(heights[i])")
            switch reply {
            case .error(let code, let message) where Self.isPruned(code, message):
                throw NodeRPCError(.rpc(code: code), "\(client.displayURL): the node has pruned the block at "
                    + "height \(heights[i]) (\(hashes[i].hex)) since the ingest started: node error \(code): "
                    + "\(message)")
            case .error(let code, let message):
                throw client.rpcError(call, code: code, message: message)
            case .result(let bytes):
                blocks.append(try decode(bytes, hash: hashes[i], height: heights[i]))
            }
        }
        return blocks
    }

    private func getblockCalls(_ hashes: [BlockHash], _ heights: [Int]) -> [NodeRPCCall] {
        zip(hashes, heights).map {
            NodeRPCCall(method: "getblock", params: #"["\#($0.hex)",\#(verbosity)]"#, context: "height \($1)")
        }
    }

    /// How a node refuses an unsupported verbosity: invalid parameter, JSON-RPC invalid params, or a misc error
    /// that says so (Core's misc error -1 also means "Block not available (pruned data)", which is no refusal).
    static func refusesVerbosity(_ code: Int, _ message: String) -> Bool {
        code == -8 || code == -32602 || (code == -1 && message.lowercased().contains("verbosity"))
    }

    /// Core's answer for a block whose data the node has pruned.
    static func isPruned(_ code: Int, _ message: String) -> Bool {
        code == -1 && message.lowercased().contains("pruned")
    }

    private func decode(_ bytes: [UInt8], hash: BlockHash, height: Int) throws -> SourceBlock {
        let location = SourceLocation(file: "\(client.displayURL) getblock \(hash.hex) \(verbosity) (height \(height))")
        let dto: NodeBlockDTO
        do {
            dto = try JSONReader.read(NodeBlockDTO.self, from: bytes)
        } catch {
            throw NodeJSONSource.malformed(error, in: bytes, at: location)
        }
        let sb = try NodeJSONConversion.block(dto, at: location)
        guard sb.block.hash == hash else {
            throw SourceError("asked for block \(hash.hex), the node answered with \(sb.block.hash.hex)", at: location)
        }
        if let stated = sb.height, stated != height {
            throw SourceError("asked for height \(height), the block states height \(stated)", at: location)
        }
        if network == nil { network = NetworkInference.infer(from: dto) }
        var out = sb
        out.height = height
        return out
    }
}
