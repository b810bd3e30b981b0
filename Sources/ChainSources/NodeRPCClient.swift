import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// How Spoor logs in to a node: Core's cookie file or a user name with a password from the environment.
///
/// The password is held privately and never appears in `description`, errors or anything Spoor writes.
public struct NodeRPCCredentials: Sendable, CustomStringConvertible {
    public let user: String
    private let password: String
    /// Where the credentials came from, for messages ("cookie /path/.cookie", "user alice").
    public let origin: String

    init(user: String, password: String, origin: String) {
        self.user = user
        self.password = password
        self.origin = origin
    }

    public var description: String { "\(origin) (password hidden)" }

    /// The `Authorization` header value.
    var authorizationHeader: String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// Reads Core's `.cookie` file (`__cookie__:<password>`, written at node start-up).
    public static func cookie(at path: String) throws(NodeRPCError) -> NodeRPCCredentials {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeRPCError(.credentials, "cannot read the cookie file \(path) (does it exist, and may Spoor read it?)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex,
              text.index(after: colon) != text.endIndex, !text.contains("\n") else {
            throw NodeRPCError(.credentials, "the cookie file \(path) is not of the form user:password "
                + "(Core writes __cookie__:… there)")
        }
        return NodeRPCCredentials(user: String(text[..<colon]), password: String(text[text.index(after: colon)...]),
                                  origin: "cookie \(path)")
    }

    /// A user name with the password taken from the environment variable `variable`.
    public static func user(_ user: String, passwordFromEnvironment variable: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(NodeRPCError) -> NodeRPCCredentials {
        guard let password = environment[variable], !password.isEmpty else {
            throw NodeRPCError(.credentials, "--rpc-user \(user) needs the password in the environment variable "
                + "\(variable), which is not set")
        }
        return NodeRPCCredentials(user: user, password: password, origin: "user \(user)")
    }
}

/// A failure talking to a node, naming the URL, the method and the height where it applies.
public struct NodeRPCError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case credentials
        case http
        /// The node answered with an error object.
        case rpc(code: Int)
        /// The answer was not the JSON-RPC the call expects.
        case malformed
        /// The node's data disagrees with what was asked (wrong hash, height beyond the tip).
        case inconsistent
        /// The answer is larger than the transport accepts (`HTTPPolicy.maxAnswerBytes`): ask for less at once.
        case answerTooLarge
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// One JSON-RPC call of a batch. `params` is JSON text (an array).
public struct NodeRPCCall: Sendable {
    public var method: String
    public var params: String
    /// What the call is about, for messages: "height 120".
    public var context: String

    public init(method: String, params: String, context: String = "") {
        self.method = method
        self.params = params
        self.context = context
    }
}

/// One call's answer: the raw bytes of `result`, or the node's error object.
public enum NodeRPCReply: Sendable {
    case result([UInt8])
    case error(code: Int, message: String)
}

/// What `getblockchaininfo` says about the node's chain.
public struct NodeChainInfo: Sendable, Equatable {
    public var network: Network?
    /// Core's chain name (`main`, `test`, `testnet4`, `signet`, `regtest`).
    public var chain: String
    /// The tip's height.
    public var blocks: Int
    public var bestBlockHash: BlockHash?
    public var pruned: Bool
    /// On a pruned node, the lowest height whose block it still has.
    public var pruneHeight: Int?
}

/// Batched JSON-RPC over HTTP to a Bitcoin Core node (a JSON array of calls per POST; Core answers a batch with
/// HTTP 200 and one reply per call, each with its own `error`).
///
/// A node that is still starting answers every call with error -28 ("Loading block index…", "Verifying
/// blocks…"): the client waits, asking again every `warmupPoll` seconds, for at most `warmupLimit` seconds,
/// and says so through `onWarmup`, then proceeds.
public final class NodeRPCClient: @unchecked Sendable {
    public let url: URL
    private let credentials: NodeRPCCredentials?
    private let transport: HTTPTransport
    private let clock: HTTPClock
    private var nextID = 0
    /// Longest wait for a starting node, in seconds.
    public var warmupLimit: Double = 600
    public var warmupPoll: Double = 1
    /// Told the node's status text each time a starting node makes the client wait.
    public var onWarmup: ((String) -> Void)?
    /// Seconds spent waiting for a starting node so far.
    public private(set) var warmupWaited: Double = 0

    /// Core's code for "still starting".
    public static let warmupCode = -28
    /// What one answer may hold by default: a batch of `getblock … 3` answers of full blocks (one 4 MB block
    /// is some 10–40 MB of JSON; `NodeRPCSource` halves its batch when an answer would be larger).
    public static let defaultMaxAnswerBytes = 256 << 20

    public init(url: URL, credentials: NodeRPCCredentials?,
                transport: HTTPTransport = HTTPTransport(policy: HTTPPolicy(maxAnswerBytes: defaultMaxAnswerBytes)),
                clock: HTTPClock = .system) {
        self.url = url
        self.credentials = credentials
        self.transport = transport
        self.clock = clock
    }

    public var displayURL: String { HTTPTransport.displayString(url) }
    public var requestCount: Int { transport.requestCount }

    /// Sends the calls as one batch and returns their replies in call order, waiting out a node that is still
    /// starting.
    public func batch(_ calls: [NodeRPCCall]) throws(NodeRPCError) -> [NodeRPCReply] {
        guard !calls.isEmpty else { return [] }
        let started = clock.now()
        while true {
            let status: String
            do {
                let replies = try exchange(calls)
                guard let warming = Self.warmupStatus(replies) else { return replies }
                status = warming
            } catch let error where error.kind == .rpc(code: Self.warmupCode) {
                status = error.message
            }
            let waited = clock.now() - started
            guard waited + warmupPoll <= warmupLimit else {
                throw NodeRPCError(.rpc(code: Self.warmupCode), "\(displayURL): \(calls[0].method): the node is "
                    + "still starting after \(Int(waited)) s (it says: \(status)); try again when it has started")
            }
            onWarmup?(status)
            clock.sleep(warmupPoll)
            warmupWaited += warmupPoll
        }
    }

    /// The status text of a warm-up answer, when the node answered any call of the batch with -28.
    private static func warmupStatus(_ replies: [NodeRPCReply]) -> String? {
        for case .error(let code, let message) in replies where code == warmupCode { return message }
        return nil
    }

    /// One POST of the batch, its answer parsed into replies.
    private func exchange(_ calls: [NodeRPCCall]) throws(NodeRPCError) -> [NodeRPCReply] {
        let firstID = nextID
        nextID += calls.count
        var body = "["
        for (i, call) in calls.enumerated() {
            if i > 0 { body += "," }
            body += #"{"jsonrpc":"1.0","id":\#(firstID + i),"method":"\#(call.method)","params":\#(call.params)}"#
        }
        body += "]"
        var headers = ["Content-Type": "application/json"]
        if let credentials { headers["Authorization"] = credentials.authorizationHeader }
        let answer: (status: Int, body: [UInt8])
        do {
            // Core answers some failures with 404/500 and a JSON body; read it rather than only the status.
            answer = try transport.send(method: "POST", url: url, headers: headers, body: Array(body.utf8),
                                        okStatuses: [404, 500])
        } catch {
            var message = "\(error)"
            if case .unauthorized = error.kind, let credentials { message += " [using \(credentials)]" }
            if case .answerTooLarge = error.kind {
                throw NodeRPCError(.answerTooLarge, "\(calls[0].method)\(Self.suffix(calls[0].context)): \(message)")
            }
            throw NodeRPCError(.http, "\(calls[0].method): \(message)")
        }
        return try parse(answer.body, status: answer.status, calls: calls, firstID: firstID)
    }

    private func parse(_ bytes: [UInt8], status: Int, calls: [NodeRPCCall], firstID: Int)
        throws(NodeRPCError) -> [NodeRPCReply] {
        let spans = NodeRPCJSONSpans(bytes: bytes)
        func malformed(_ why: String) -> NodeRPCError {
            NodeRPCError(.malformed, "\(displayURL): \(calls[0].method)\(Self.suffix(calls[0].context)): "
                + "the node's answer (HTTP \(status)) is not a JSON-RPC batch reply: \(why)")
        }
        let elements: [Range<Int>]
        do { elements = try spans.arrayElements() } catch {
            // A lone error object instead of a batch (some servers answer that way to a whole-batch fault).
            if let single = try? spans.objectMembers(0..<bytes.count), let e = single["error"], !spans.isNull(e),
               let (code, message) = Self.errorObject(bytes[e]) {
                throw NodeRPCError(.rpc(code: code), "\(displayURL): \(calls[0].method): node error \(code): \(message)")
            }
            throw malformed("\(error.message) at byte \(error.offset)")
        }
        var replies = [NodeRPCReply?](repeating: nil, count: calls.count)
        for element in elements {
            let members: [String: Range<Int>]
            do { members = try spans.objectMembers(element) } catch {
                throw malformed("\(error.message) at byte \(error.offset)")
            }
            guard let idRange = members["id"], let id = Int(String(decoding: bytes[idRange], as: UTF8.self)),
                  id >= firstID, id < firstID + calls.count else {
                throw malformed("a reply has no id, or one that was not asked")
            }
            let call = calls[id - firstID]
            if let e = members["error"], !spans.isNull(e) {
                guard let (code, message) = Self.errorObject(bytes[e]) else {
                    throw malformed("the error of \(call.method) is not {code, message}")
                }
                replies[id - firstID] = .error(code: code, message: message)
            } else if let r = members["result"] {
                replies[id - firstID] = .result(Array(bytes[r]))
            } else {
                throw malformed("the reply to \(call.method)\(Self.suffix(call.context)) has neither result nor error")
            }
        }
        var out: [NodeRPCReply] = []
        out.reserveCapacity(calls.count)
        for (i, reply) in replies.enumerated() {
            guard let reply else {
                throw malformed("no reply to \(calls[i].method)\(Self.suffix(calls[i].context))")
            }
            out.append(reply)
        }
        return out
    }

    static func suffix(_ context: String) -> String { context.isEmpty ? "" : " (\(context))" }

    private static func errorObject(_ bytes: ArraySlice<UInt8>) -> (Int, String)? {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let code = (obj["code"] as? NSNumber)?.intValue else { return nil }
        return (code, (obj["message"] as? String) ?? "")
    }

    /// Calls one method and returns its result, throwing the node's error as a message naming the call.
    public func call(_ call: NodeRPCCall) throws(NodeRPCError) -> [UInt8] {
        let replies = try batch([call])
        switch replies[0] {
        case .result(let bytes): return bytes
        case .error(let code, let message): throw rpcError(call, code: code, message: message)
        }
    }

    func rpcError(_ call: NodeRPCCall, code: Int, message: String) -> NodeRPCError {
        NodeRPCError(.rpc(code: code), "\(displayURL): \(call.method)\(Self.suffix(call.context)) failed: "
            + "node error \(code): \(message)")
    }

    // MARK: typed calls

    /// `getblockchaininfo`: the chain, the tip, and what a pruned node still has.
    public func blockchainInfo() throws(NodeRPCError) -> NodeChainInfo {
        let c = NodeRPCCall(method: "getblockchaininfo", params: "[]")
        let bytes = try call(c)
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let chain = obj["chain"] as? String, let blocks = (obj["blocks"] as? NSNumber)?.intValue else {
            throw NodeRPCError(.malformed, "\(displayURL): getblockchaininfo: the result has no chain and blocks")
        }
        let pruned = (obj["pruned"] as? Bool) ?? false
        return NodeChainInfo(network: Self.network(chain: chain), chain: chain, blocks: blocks,
                             bestBlockHash: (obj["bestblockhash"] as? String).flatMap { BlockHash(hex: $0) },
                             pruned: pruned,
                             pruneHeight: pruned ? (obj["pruneheight"] as? NSNumber)?.intValue : nil)
    }

    /// Core's chain names (`main`, `test`, `testnet4`, `signet`, `regtest`).
    public static func network(chain: String) -> Network? {
        switch chain {
        case "main": return .main
        case "test": return .testnet3
        case "testnet4": return .testnet4
        case "signet": return .signet
        case "regtest": return .regtest
        default: return nil
        }
    }

    /// `getblockhash` for each height, in one batch.
    public func blockHashes(_ heights: [Int]) throws(NodeRPCError) -> [BlockHash] {
        let calls = heights.map { NodeRPCCall(method: "getblockhash", params: "[\($0)]", context: "height \($0)") }
        let replies = try batch(calls)
        var out: [BlockHash] = []
        out.reserveCapacity(heights.count)
        for (call, reply) in zip(calls, replies) {
            switch reply {
            case .error(let code, let message): throw rpcError(call, code: code, message: message)
            case .result(let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                guard text.count == 66, text.first == "\"", text.last == "\"",
                      let hash = BlockHash(hex: text.dropFirst().dropLast()) else {
                    throw NodeRPCError(.malformed, "\(displayURL): getblockhash (\(call.context)): the result "
                        + "is not a block hash: \(text.prefix(80))")
                }
                out.append(hash)
            }
        }
        return out
    }
}
