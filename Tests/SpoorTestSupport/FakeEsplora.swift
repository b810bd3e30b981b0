import BitcoinPrimitives
import Foundation

/// An Esplora REST stand-in for tests (the API of blockstream.info and mempool.space), serving a chain read from
/// `rpc/blocks.jsonl` lines (`getblock … 3` JSON) on loopback:
/// `/address/:a/txs`, `/address/:a/txs/chain/:last_seen`, `/tx/:txid`, `/tx/:txid/hex`, `/tx/:txid/outspends`,
/// `/block/:hash`, `/block/:hash/header`. The address index is built here from the chain, newest first as
/// Esplora lists it, 25 confirmed transactions per page.
public final class FakeEsplora: @unchecked Sendable {
    public struct BadChain: Error, CustomStringConvertible {
        public var description: String
    }

    struct Tx {
        var txid: String
        var hex: String
        var json: [String: Any]
        var blockHash: String
    }

    struct BlockInfo {
        var headerHex: String
        var json: [String: Any]
        var txids: [String]
    }

    /// The chain in Esplora's terms, built once from the JSON lines.
    struct Index {
        var txs: [String: Tx] = [:]
        var blocks: [String: BlockInfo] = [:]
        /// Address → txids, oldest first (chain order, each txid once).
        var addressTxs: [String: [String]] = [:]
        /// "txid:vout" → (spending txid, input index).
        var spenders: [String: (String, Int)] = [:]
        var outputCounts: [String: Int] = [:]
        var addresses: [String] = []
        var txidsInChainOrder: [String] = []
    }

    public let server: LoopbackHTTPServer
    private let index: Index
    private var txs: [String: Tx] { index.txs }
    private var blocks: [String: BlockInfo] { index.blocks }
    private var addressTxs: [String: [String]] { index.addressTxs }
    private var spenders: [String: (String, Int)] { index.spenders }
    private var outputCounts: [String: Int] { index.outputCounts }
    public let pageSize = 25

    private let lock = NSLock()
    private var _override: (@Sendable (LoopbackRequest, Int) -> LoopbackResponse?)?
    private var served = 0

    public var url: String { server.baseURL }
    /// Every address that appears on the chain, in first-seen order.
    public var addresses: [String] { index.addresses }
    /// Every txid on the chain, in chain order.
    public var txidsInChainOrder: [String] { index.txidsInChainOrder }

    /// Answers a request before the chain does when it returns non-nil: for faults (429, malformed answers).
    /// The second argument counts requests from 1.
    public func setOverride(_ f: (@Sendable (LoopbackRequest, Int) -> LoopbackResponse?)?) {
        lock.withLock { _override = f }
    }

    public var requestCount: Int { lock.withLock { served } }

    public init(lines: [[UInt8]]) throws {
        var index = Index()
        for (n, line) in lines.enumerated() {
            guard let b = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let hash = b["hash"] as? String, let height = (b["height"] as? NSNumber)?.intValue,
                  let time = (b["time"] as? NSNumber)?.int64Value, let txList = b["tx"] as? [[String: Any]] else {
                throw FakeEsplora.BadChain(description: "line \(n + 1): not a getblock 3 object")
            }
            index.blocks[hash] = BlockInfo(headerHex: try Self.headerHex(b, line: n + 1), json: [
                "id": hash, "height": height, "version": b["version"] ?? 0, "timestamp": time,
                "tx_count": txList.count, "size": b["size"] ?? 0, "weight": b["weight"] ?? 0,
                "merkle_root": b["merkleroot"] ?? "", "previousblockhash": b["previousblockhash"] ?? NSNull(),
                "nonce": b["nonce"] ?? 0, "bits": 0,
            ], txids: txList.compactMap { $0["txid"] as? String })
            for t in txList {
                try index.add(t, blockHash: hash, height: height, time: time, line: n + 1)
            }
        }
        self.index = index
        let box = WeakBox()
        server = try LoopbackHTTPServer { request in
            box.esplora?.answer(request) ?? .text("gone", status: 503)
        }
        box.esplora = self
    }

    public func stop() { server.stop() }

    private final class WeakBox: @unchecked Sendable {
        weak var esplora: FakeEsplora?
    }

    static func sats(_ any: Any?) -> Int64? {
        guard let n = any as? NSNumber else { return nil }
        return Int64((n.doubleValue * 1e8).rounded())
    }

    static func headerHex(_ b: [String: Any], line: Int) throws -> String {
        guard let version = (b["version"] as? NSNumber)?.int32Value,
              let merkle = (b["merkleroot"] as? String).flatMap({ Digest32(displayHex: $0) }),
              let time = (b["time"] as? NSNumber)?.uint32Value,
              let bits = (b["bits"] as? String).flatMap({ UInt32($0, radix: 16) }),
              let nonce = (b["nonce"] as? NSNumber)?.uint32Value else {
            throw FakeEsplora.BadChain(description: "line \(line): header fields missing")
        }
        let prev = (b["previousblockhash"] as? String).flatMap { BlockHash(hex: $0) } ?? .zero
        let header = BlockHeader(version: version, previousBlockHash: prev, merkleRoot: merkle, time: time,
                                 bits: bits, nonce: nonce)
        guard header.hash.hex == b["hash"] as? String else {
            throw FakeEsplora.BadChain(description: "line \(line): the header fields do not hash to the block hash")
        }
        return Hex.encode(Block(header: header, transactions: []).serialized().prefix(BlockHeader.size))
    }

    /// The txids an address appears in, newest first (the order Esplora lists them).
    public func transactions(of address: String) -> [String] {
        (addressTxs[address] ?? []).reversed()
    }

    /// The transaction's JSON as this server serves it.
    public func transactionJSON(_ txid: String) -> [String: Any]? { txs[txid]?.json }

    /// The transactions within `hops` of the address, from this chain index (the oracle for crawls): hop 0 are
    /// the address's transactions, hop k + 1 the funding and spending transactions of hop k.
    public func neighbourhood(of address: String, hops: Int) -> Set<String> {
        var seen = Set(transactions(of: address))
        var layer = seen
        for _ in 0..<hops {
            var next = Set<String>()
            for txid in layer {
                guard let json = transactionJSON(txid) else { continue }
                for input in json["vin"] as? [[String: Any]] ?? [] where input["is_coinbase"] as? Bool != true {
                    if let t = input["txid"] as? String { next.insert(t) }
                }
                for v in 0..<((json["vout"] as? [Any])?.count ?? 0) {
                    if let s = spender(of: txid, vout: v) { next.insert(s) }
                }
            }
            layer = next.subtracting(seen)
            seen.formUnion(layer)
        }
        return seen
    }

    /// The first address with more than two pages of transactions (exercises paging).
    public var busyAddress: String? { addresses.first { transactions(of: $0).count > 2 * pageSize } }
    /// The first address with exactly two transactions (hop walks around it stay small).
    public var quietAddress: String? { addresses.first { transactions(of: $0).count == 2 } }

    /// A block's txids as this server lists them, in block order.
    public func blockTxids(_ hash: String) -> [String] { blocks[hash]?.txids ?? [] }

    /// A block's JSON (`/block/:hash`) as this server serves it.
    public func blockJSON(_ hash: String) -> [String: Any]? { blocks[hash]?.json }

    /// The transaction's bytes as hex.
    public func transactionHex(_ txid: String) -> String? { txs[txid]?.hex }

    /// The spender of an output, if on the chain.
    public func spender(of txid: String, vout: Int) -> String? { spenders["\(txid):\(vout)"]?.0 }

    private func encode(_ value: Any) -> LoopbackResponse {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else {
            return .text("encoding failed", status: 500)
        }
        return .json(bytes: [UInt8](data))
    }

    private func answer(_ request: LoopbackRequest) -> LoopbackResponse {
        let (n, override) = lock.withLock { () -> (Int, (@Sendable (LoopbackRequest, Int) -> LoopbackResponse?)?) in
            served += 1
            return (served, _override)
        }
        if let override, let r = override(request, n) { return r }
        guard request.method == "GET" else { return .text("GET only", status: 405) }
        let parts = request.path.split(separator: "/").map(String.init)
        switch parts.count {
        case 3 where parts[0] == "address" && parts[2] == "txs":
            return encode(page(parts[1], after: nil))
        case 5 where parts[0] == "address" && parts[2] == "txs" && parts[3] == "chain":
            return encode(page(parts[1], after: parts[4]))
        case 2 where parts[0] == "tx":
            guard let tx = txs[parts[1]] else { return .text("Transaction not found", status: 404) }
            return encode(tx.json)
        case 3 where parts[0] == "tx" && parts[2] == "hex":
            guard let tx = txs[parts[1]] else { return .text("Transaction not found", status: 404) }
            return .text(tx.hex)
        case 3 where parts[0] == "tx" && parts[2] == "outspends":
            guard let count = outputCounts[parts[1]], let tx = txs[parts[1]] else {
                return .text("Transaction not found", status: 404)
            }
            _ = tx
            var list: [[String: Any]] = []
            for v in 0..<count {
                if let (spender, vin) = spenders["\(parts[1]):\(v)"], let s = txs[spender] {
                    list.append(["spent": true, "txid": spender, "vin": vin, "status": s.json["status"] ?? [:]])
                } else {
                    list.append(["spent": false])
                }
            }
            return encode(list)
        case 2 where parts[0] == "block":
            guard let b = blocks[parts[1]] else { return .text("Block not found", status: 404) }
            return encode(b.json)
        case 3 where parts[0] == "block" && parts[2] == "txids":
            guard let b = blocks[parts[1]] else { return .text("Block not found", status: 404) }
            return encode(b.txids)
        case 3 where parts[0] == "block" && parts[2] == "header":
            guard let b = blocks[parts[1]] else { return .text("Block not found", status: 404) }
            return .text(b.headerHex)
        default:
            return .text("unknown path \(request.path)", status: 404)
        }
    }

    private func page(_ address: String, after last: String?) -> [[String: Any]] {
        let all = transactions(of: address)
        var start = 0
        if let last {
            guard let i = all.firstIndex(of: last) else { return [] }
            start = i + 1
        }
        return all[start..<min(all.count, start + pageSize)].compactMap { txs[$0]?.json }
    }
}

extension FakeEsplora.Index {
    mutating func add(_ t: [String: Any], blockHash: String, height: Int, time: Int64, line: Int) throws {
        guard let txid = t["txid"] as? String, let hex = t["hex"] as? String,
              let vin = t["vin"] as? [[String: Any]], let vout = t["vout"] as? [[String: Any]] else {
            throw FakeEsplora.BadChain(description: "line \(line): a transaction without txid, hex, vin or vout")
        }
        var touched: [String] = []
        func output(_ o: [String: Any]) throws -> [String: Any] {
            guard let spk = o["scriptPubKey"] as? [String: Any], let script = spk["hex"] as? String,
                  let value = FakeEsplora.sats(o["value"]) else {
                throw FakeEsplora.BadChain(description: "line \(line): tx \(txid): an output without script or value")
            }
            var e: [String: Any] = ["scriptpubkey": script, "scriptpubkey_type": spk["type"] ?? "unknown",
                                    "value": value]
            if let a = spk["address"] as? String {
                e["scriptpubkey_address"] = a
                touched.append(a)
            }
            return e
        }
        var jsonIn: [[String: Any]] = []
        for (i, input) in vin.enumerated() {
            if let coinbase = input["coinbase"] as? String {
                jsonIn.append(["txid": String(repeating: "0", count: 64), "vout": 4_294_967_295,
                               "prevout": NSNull(), "scriptsig": coinbase, "is_coinbase": true,
                               "sequence": input["sequence"] ?? 0])
                continue
            }
            guard let prevTxid = input["txid"] as? String, let prevVout = (input["vout"] as? NSNumber)?.intValue,
                  let prevout = input["prevout"] as? [String: Any] else {
                throw FakeEsplora.BadChain(description: "line \(line): tx \(txid) input \(i) without txid, vout or prevout")
            }
            let p = try output(["scriptPubKey": prevout["scriptPubKey"] ?? [:], "value": prevout["value"] ?? 0])
            jsonIn.append(["txid": prevTxid, "vout": prevVout, "prevout": p,
                           "scriptsig": (input["scriptSig"] as? [String: Any])?["hex"] ?? "",
                           "witness": input["txinwitness"] ?? [], "is_coinbase": false,
                           "sequence": input["sequence"] ?? 0])
            spenders["\(prevTxid):\(prevVout)"] = (txid, i)
        }
        var jsonOut: [[String: Any]] = []
        for o in vout { jsonOut.append(try output(o)) }
        let status: [String: Any] = ["confirmed": true, "block_height": height, "block_hash": blockHash,
                                     "block_time": time]
        let json: [String: Any] = ["txid": txid, "version": t["version"] ?? 1, "locktime": t["locktime"] ?? 0,
                                   "vin": jsonIn, "vout": jsonOut, "size": t["size"] ?? 0,
                                   "weight": t["weight"] ?? 0, "status": status]
        txs[txid] = FakeEsplora.Tx(txid: txid, hex: hex, json: json, blockHash: blockHash)
        outputCounts[txid] = vout.count
        txidsInChainOrder.append(txid)
        for a in touched {
            if addressTxs[a] == nil { addresses.append(a) }
            if addressTxs[a]?.last != txid { addressTxs[a, default: []].append(txid) }
        }
    }

}
