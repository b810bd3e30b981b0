import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// A live Bitcoin Core node as a chain source: the blocks of a height range, fetched with batched JSON-RPC
/// (`getblockhash` for a run of heights in one request, then `getblock <hash> 3` for them in another) and decoded
/// by the same checked node-JSON conversion as `rpc/blocks.jsonl` files (`NodeJSONSource`).
///
/// Verbosity 3 carries each input's `prevout`; a node that refuses it (older than Core 23, or another
/// implementation) is asked again with verbosity 2, and inputs are then resolved from Spoor's own outputs.
public final class NodeRPCSource: ChainSource {
    public private(set) var network: Network?
    public let client: NodeRPCClient
    public let fromHeight: Int
    public let toHeight: Int
    /// Blocks per `getblock` batch request.
    public let blocksPerRequest: Int
    /// 3 until the node refuses it, then 2.
    public private(set) var verbosity = 3
    /// The chain name the node reported (`main`, `test`, `regtest`, …).
    public let chain: String

    private var nextHeight: Int
    private var buffered: [SourceBlock] = []
    private var bufferIndex = 0
    private var failure: (any Error)?
    private let decoder = JSONDecoder()

    /// Asks the node for its chain and tip. Without `toHeight`, reads up to the tip the node has now.
    public init(client: NodeRPCClient, fromHeight: Int? = nil, toHeight: Int? = nil,
                blocksPerRequest: Int = 16) throws(NodeRPCError) {
        let info = try client.blockchainInfo()
        let from = fromHeight ?? 0
        let to = toHeight ?? info.blocks
        guard from >= 0 else {
            throw NodeRPCError(.inconsistent, "--from-height \(from) is negative")
        }
        guard to <= info.blocks else {
            throw NodeRPCError(.inconsistent, "--to-height \(to) is above the node's tip (height \(info.blocks) "
                + "at \(client.displayURL))")
        }
        guard from <= to else {
            throw NodeRPCError(.inconsistent, "--from-height \(from) is above --to-height \(to)")
        }
        self.client = client
        self.fromHeight = from
        self.toHeight = to
        self.blocksPerRequest = max(1, blocksPerRequest)
        self.chain = info.chain
        self.network = info.network
        nextHeight = from
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
            return .block(sb)
        } catch {
            failure = error
            throw error
        }
    }

    private func fetchBatch() throws {
        let heights = Array(nextHeight...min(toHeight, nextHeight + blocksPerRequest - 1))
        let hashes = try client.blockHashes(heights)
        var replies = try client.batch(getblockCalls(hashes, heights))
        if verbosity == 3, case .error(let code, _) = replies[0], Self.refusesVerbosity(code) {
            verbosity = 2
            replies = try client.batch(getblockCalls(hashes, heights))
        }
        var blocks: [SourceBlock] = []
        blocks.reserveCapacity(heights.count)
        for (i, reply) in replies.enumerated() {
            let call = NodeRPCCall(method: "getblock", params: "", context: "height \(heights[i])")
            switch reply {
            case .error(let code, let message):
                throw client.rpcError(call, code: code, message: message)
            case .result(let bytes):
                blocks.append(try decode(bytes, hash: hashes[i], height: heights[i]))
            }
        }
        buffered = blocks
        bufferIndex = 0
        nextHeight = heights[heights.count - 1] + 1
    }

    private func getblockCalls(_ hashes: [BlockHash], _ heights: [Int]) -> [NodeRPCCall] {
        zip(hashes, heights).map {
            NodeRPCCall(method: "getblock", params: #"["\#($0.hex)",\#(verbosity)]"#, context: "height \($1)")
        }
    }

    /// Codes a node answers an unsupported verbosity with: invalid parameter, misc error, JSON-RPC invalid params.
    static func refusesVerbosity(_ code: Int) -> Bool { code == -8 || code == -1 || code == -32602 }

    private func decode(_ bytes: [UInt8], hash: BlockHash, height: Int) throws -> SourceBlock {
        let location = SourceLocation(file: "\(client.displayURL) getblock \(hash.hex) \(verbosity) (height \(height))")
        let dto: NodeBlockDTO
        do {
            dto = try decoder.decode(NodeBlockDTO.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw SourceError("malformed node JSON at \(error.keyPath): \(error.plainMessage)", at: location)
        } catch {
            throw SourceError("malformed node JSON: \(error)", at: location)
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
