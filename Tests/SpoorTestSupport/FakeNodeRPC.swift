import Foundation

/// A Bitcoin Core JSON-RPC stand-in for tests: answers `getblockchaininfo`, `getblockcount`, `getblockhash` and
/// `getblock` (batched or not) from the lines of a chain's `rpc/blocks.jsonl` (each exactly `getblock <hash> 3`
/// as the real node returned it), served on loopback by `LoopbackHTTPServer`.
///
/// `StandInFidelityTests` (NodeIntegrationTests) sends the same requests to this and to a real node and
/// requires the same status, challenge and JSON. Known differences that remain, none of which Spoor relies on:
/// Core keeps connections alive (this closes each), waits about 250 ms before a 401, serves verbosity 0/1 and
/// every other method (this: 2 and 3 of these four), states many more `getblockchaininfo` fields, and counts
/// `confirmations` from its current tip (this: from when the lines were saved).
public final class FakeNodeRPC: @unchecked Sendable {
    public struct Options: Sendable {
        /// Basic-auth user and password the node demands; nil accepts anyone.
        public var credentials: (user: String, password: String)?
        /// Answer `getblock … 3` with an error, as nodes without verbosity 3 do.
        public var rejectVerbosity3 = false
        /// Answer this many POSTs with HTTP 503 (Core's "work queue depth exceeded") before serving.
        public var transientFailures = 0
        /// Answer `getblockhash` for this height with an RPC error.
        public var failingHeight: Int?
        /// Answer every POST with this body instead (for malformed-answer tests).
        public var rawAnswer: String?
        /// Answer this many POSTs as a starting node does: every call with error -28 and a status text.
        public var warmupAnswers = 0
        /// Behave as a node pruned below this height: `getblockchaininfo` says so and `getblock` of a lower
        /// block answers Core's -1 "Block not available (pruned data)".
        public var pruneHeight: Int?
        /// Blocks below this height answer "pruned" although `getblockchaininfo` does not say so (pruned
        /// after a reader asked).
        public var prunedSilentlyBelow: Int?
        /// Answer `getblockchaininfo` with a tip this many blocks below the last line (a node still syncing),
        /// so later tests can "mine" by lowering it.
        public var hiddenTopBlocks = 0
        public var chain = "regtest"

        public init() {}
    }

    public let server: LoopbackHTTPServer
    private let lines: [[UInt8]]
    private let hashes: [String]
    private let heightOfHash: [String: Int]
    private let options: Options
    private let lock = NSLock()
    private var failuresLeft: Int
    private var warmupLeft: Int
    private var _hidden: Int
    private var _verbosities: [Int] = []
    private var _batchSizes: [Int] = []

    public var url: String { server.baseURL }
    /// The verbosity of every `getblock` served, in order.
    public var verbosities: [Int] { lock.withLock { _verbosities } }
    /// The number of calls in each POST.
    public var batchSizes: [Int] { lock.withLock { _batchSizes } }

    public struct BadLine: Error, CustomStringConvertible {
        public var description: String
    }

    /// `lines`: the `getblock … 3` JSON of heights 0, 1, 2, … in order.
    public init(lines: [[UInt8]], options: Options = Options()) throws {
        var hashes: [String] = []
        var heightOfHash: [String: Int] = [:]
        for (i, line) in lines.enumerated() {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let hash = obj["hash"] as? String, let height = (obj["height"] as? NSNumber)?.intValue,
                  height == i else {
                throw BadLine(description: "blocks.jsonl line \(i + 1) has no hash, or a height other than \(i)")
            }
            hashes.append(hash)
            heightOfHash[hash] = height
        }
        self.lines = lines
        self.hashes = hashes
        self.heightOfHash = heightOfHash
        self.options = options
        failuresLeft = options.transientFailures
        warmupLeft = options.warmupAnswers
        _hidden = options.hiddenTopBlocks
        let box = WeakBox()
        server = try LoopbackHTTPServer { request in
            box.node?.answer(request) ?? .text("gone", status: 503)
        }
        box.node = self
    }

    public func stop() { server.stop() }

    /// Blocks not yet shown at the top of the chain (see `Options.hiddenTopBlocks`); lower it to "mine".
    public var hiddenTopBlocks: Int {
        get { lock.withLock { _hidden } }
        set { lock.withLock { _hidden = newValue } }
    }

    /// The tip height the node reports now.
    private var tipHeight: Int { lines.count - 1 - hiddenTopBlocks }

    private final class WeakBox: @unchecked Sendable {
        weak var node: FakeNodeRPC?
    }

    private func answer(_ request: LoopbackRequest) -> LoopbackResponse {
        guard request.method == "POST" else { return .text("JSON-RPC wants POST", status: 405) }
        if let (user, password) = options.credentials {
            // As Core: 401, a Basic challenge, an empty body.
            let expected = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
            guard request.headers["authorization"] == expected else {
                return LoopbackResponse(status: 401, headers: ["WWW-Authenticate": #"Basic realm="jsonrpc""#,
                                                               "Content-Type": "text/html; charset=ISO-8859-1"])
            }
        }
        let fail: Bool = lock.withLock {
            if failuresLeft > 0 { failuresLeft -= 1; return true }
            return false
        }
        if fail { return .text("Work queue depth exceeded", status: 503) }
        if let raw = options.rawAnswer { return .json(raw) }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(request.body)) else {
            return .json(#"{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}"#, status: 500)
        }
        let warming: Bool = lock.withLock {
            if warmupLeft > 0 { warmupLeft -= 1; return true }
            return false
        }
        if let calls = parsed as? [[String: Any]] {
            lock.withLock { _batchSizes.append(calls.count) }
            if warming {
                let ids = calls.map { ($0["id"] as? NSNumber)?.stringValue ?? "null" }
                let replies = ids.map { #"{"result":null,"error":{"code":-28,"message":"Loading block index…"},"id":\#($0)}"# }
                return .json("[" + replies.joined(separator: ",") + "]")
            }
            var out: [UInt8] = Array("[".utf8)
            for (i, call) in calls.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out += reply(to: call)
            }
            out += Array("]".utf8)
            return .json(bytes: out)
        }
        if let call = parsed as? [String: Any] {
            // As Core for a single call: an error answers HTTP 500, or 404 for an unknown method.
            lock.withLock { _batchSizes.append(1) }
            let id = (call["id"] as? NSNumber)?.stringValue ?? "null"
            if warming {
                return .json(#"{"result":null,"error":{"code":-28,"message":"Loading block index…"},"id":\#(id)}"#,
                             status: 500)
            }
            let bytes = reply(to: call)
            guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let error = obj["error"] as? [String: Any], let code = (error["code"] as? NSNumber)?.intValue else {
                return .json(bytes: bytes)
            }
            return .json(bytes: bytes, status: code == -32601 ? 404 : 500)
        }
        return .json(#"{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":null}"#,
                     status: 500)
    }

    /// Verbosity 2 is verbosity 3 without the inputs' `prevout` objects: cut them out of the node's text.
    static func withoutPrevouts(_ json: [UInt8]) -> [UInt8] {
        let key = Array(#""prevout":"#.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var i = 0
        while i < json.count {
            if json[i] == key[0], i + key.count <= json.count, Array(json[i..<(i + key.count)]) == key {
                var j = i + key.count
                var depth = 0
                var inString = false
                repeat {
                    let c = json[j]
                    if inString {
                        if c == UInt8(ascii: "\\") { j += 1 } else if c == UInt8(ascii: "\"") { inString = false }
                    } else if c == UInt8(ascii: "\"") {
                        inString = true
                    } else if c == UInt8(ascii: "{") {
                        depth += 1
                    } else if c == UInt8(ascii: "}") {
                        depth -= 1
                    }
                    j += 1
                } while depth > 0 && j < json.count
                if j < json.count, json[j] == UInt8(ascii: ",") {
                    j += 1
                } else if out.last == UInt8(ascii: ",") {
                    out.removeLast()
                }
                i = j
                continue
            }
            out.append(json[i])
            i += 1
        }
        return out
    }

    private func reply(to call: [String: Any]) -> [UInt8] {
        let id: String
        if let n = call["id"] as? NSNumber { id = n.stringValue } else if let s = call["id"] as? String {
            id = "\"\(s)\""
        } else { id = "null" }
        let params = call["params"] as? [Any] ?? []
        func result(_ json: [UInt8]) -> [UInt8] {
            Array(#"{"result":"#.utf8) + json + Array(#","error":null,"id":\#(id)}"#.utf8)
        }
        func error(_ code: Int, _ message: String) -> [UInt8] {
            Array(#"{"result":null,"error":{"code":\#(code),"message":"\#(message)"},"id":\#(id)}"#.utf8)
        }
        switch call["method"] as? String {
        case "getblockchaininfo":
            let tip = tipHeight
            var info = #""chain":"\#(options.chain)","blocks":\#(tip),"headers":\#(tip),"bestblockhash":"\#(hashes[tip])""#
            if let pruneHeight = options.pruneHeight {
                info += #","pruned":true,"pruneheight":\#(pruneHeight),"automatic_pruning":false"#
            } else {
                info += #","pruned":false"#
            }
            return result(Array("{\(info)}".utf8))
        case "getblockcount":
            return result(Array("\(tipHeight)".utf8))
        case "getblockhash":
            guard let h = (params.first as? NSNumber)?.intValue, h >= 0, h <= tipHeight,
                  h != options.failingHeight else {
                return error(-8, "Block height out of range")
            }
            return result(Array("\"\(hashes[h])\"".utf8))
        case "getblock":
            guard let hash = params.first as? String, let height = heightOfHash[hash], height <= tipHeight else {
                return error(-5, "Block not found")
            }
            if let pruneHeight = options.pruneHeight ?? options.prunedSilentlyBelow, height < pruneHeight {
                return error(-1, "Block not available (pruned data)")
            }
            let verbosity = (params.count > 1 ? (params[1] as? NSNumber)?.intValue : nil) ?? 1
            lock.withLock { _verbosities.append(verbosity) }
            if verbosity == 3 && options.rejectVerbosity3 {
                return error(-8, "Verbosity must be in range 0..2")
            }
            guard verbosity >= 2 else { return error(-8, "this stand-in serves verbosity 2 and 3 only") }
            return result(verbosity == 3 ? lines[height] : Self.withoutPrevouts(lines[height]))
        default:
            return error(-32601, "Method not found")
        }
    }
}
