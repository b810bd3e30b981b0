import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// Issue 13, group 4: how `spoor ingest --rpc` logs in to a real node and what it does when the node refuses,
/// stops, is still starting or has pruned what is asked for.
@Suite(.tags(.bitcoind), .enabled(if: RegtestNode.binary != nil, Comment(rawValue: RegtestNode.skipMessage)))
struct NodeFailureTests {
    /// Core's answer to a wrong password, measured: the error must come at once (Core waits 250 ms itself).
    static let refusalSeconds = 10.0

    @Test func cookieAndStaleCookie() throws {
        let node = try RegtestNode(label: "cookie")
        defer { node.remove() }
        let scratch = try Scratch("cookie")
        defer { scratch.remove() }
        try node.mine(5, to: try Self.burnAddress(node))
        let stale = scratch.url.appendingPathComponent("old.cookie").path
        try FileManager.default.copyItem(atPath: node.cookiePath, toPath: stale)
        #expect(try Spoor.ingestRPC(node, db: scratch.db("a"))["blocks_added"] as? Int == 6)

        // A restart writes a new cookie: the copy is stale.
        try node.stop()
        #expect(!FileManager.default.fileExists(atPath: node.cookiePath), "Core removes its cookie on shutdown")
        try node.start()
        let refused = try Spoor.run(["ingest", "--rpc", node.url, "--rpc-cookie", stale, "--db", scratch.db("b")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("HTTP 401: the server refused the credentials"))
        #expect(refused.stderr.contains("cookie \(stale)"))
        #expect(refused.seconds < Self.refusalSeconds, "\(refused)")
        #expect(!refused.stderr.contains(try String(contentsOfFile: stale, encoding: .utf8).split(separator: ":")[1]))
        #expect(try Spoor.ingestRPC(node, db: scratch.db("b"))["blocks_added"] as? Int == 6)
    }

    @Test func userAndPasswordFromTheEnvironmentAndAWrongPassword() throws {
        let password = "pw-" + UUID().uuidString
        let node = try RegtestNode(["-rpcuser=spoor", "-rpcpassword=\(password)"], label: "userpw")
        defer { node.remove() }
        let scratch = try Scratch("userpw")
        defer { scratch.remove() }
        #expect(!FileManager.default.fileExists(atPath: node.cookiePath), "with -rpcpassword Core writes no cookie")
        try node.mine(3, to: try Self.burnAddress(node))
        let db = scratch.db("pw")
        let ok = try Spoor.run(["ingest", "--rpc", node.url, "--rpc-user", "spoor", "--db", db, "--json", "--quiet"],
                               environment: ["SPOOR_RPC_PASSWORD": password])
        #expect(ok.status == 0, "\(ok)")
        #expect(try Spoor.json(ok)["blocks_added"] as? Int == 4)
        for file in try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) {
            let bytes = try Data(contentsOf: scratch.url.appendingPathComponent(file))
            #expect(bytes.range(of: Data(password.utf8)) == nil, "\(file) holds the password")
        }

        let wrong = try Spoor.run(["ingest", "--rpc", node.url, "--rpc-user", "spoor", "--db", scratch.db("wrong")],
                                  environment: ["SPOOR_RPC_PASSWORD": "not-" + password])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("HTTP 401"))
        #expect(wrong.stderr.contains("user spoor (password hidden)"))
        #expect(!wrong.stderr.contains(password))
        #expect(wrong.seconds < Self.refusalSeconds, "\(wrong)")
    }

    @Test func aNodeStoppedMidIngestIsRetriedThenNamedAndNothingIsHalfWritten() throws {
        let node = try RegtestNode(label: "stopped")
        defer { node.remove() }
        let scratch = try Scratch("stopped")
        defer { scratch.remove() }
        try node.mine(60, to: try Self.burnAddress(node))
        let db = scratch.db("cut")

        // Reads four blocks per request, commits every ten; the node is stopped after block 25 was handed on.
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 3, initialBackoff: 0.2, timeout: 10))
        let client = NodeRPCClient(url: URL(string: node.url)!,
                                   credentials: try NodeRPCCredentials.cookie(at: node.cookiePath), transport: transport)
        let source = StopAfter(try NodeRPCSource(client: client, blocksPerRequest: 4), height: 25) { try node.stop() }
        var options = IngestOptions()
        options.batchBlocks = 10
        let started = Date()
        let error = #expect(throws: (any Error).self) {
            try Ingestor(database: try CaseDatabase(path: db), options: options).ingest(source)
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("connection refused (after 3 attempts)"), "\(text)")
        #expect(text.contains("stopped listening"))
        #expect(text.contains(node.url))
        #expect(Date().timeIntervalSince(started) < 30, "bounded: two retries of 0.2 and 0.4 s, not a hang")
        #expect(transport.retryCount == 2)

        // What was committed is whole: exactly the blocks of a clean ingest up to the last checkpoint.
        try node.start()
        let kept = try #require(try StoreQueries.bestHeight(CaseDatabase(path: db, mode: .readOnly)))
        #expect(kept == 19, "the batches of ten committed before the failure stay, the cut one does not")
        let clean = scratch.db("clean")
        try Spoor.ingestRPC(node, db: clean, extra: ["--to-height", "\(kept)"])
        #expect(try Spoor.export(db, in: scratch.url) == Spoor.export(clean, in: scratch.url))

        // The same command again finishes the job.
        let resumed = try Spoor.ingestRPC(node, db: db)
        #expect(resumed["blocks_added"] as? Int == 60 - kept)
        let whole = scratch.db("whole")
        try Spoor.ingestRPC(node, db: whole)
        #expect(try Spoor.export(db, in: scratch.url) == Spoor.export(whole, in: scratch.url))
    }

    @Test func noNodeAtAllIsAClearErrorAtOnce() throws {
        let port = try RegtestNode.freePort()
        let scratch = try Scratch("nonode")
        defer { scratch.remove() }
        let cookie = scratch.url.appendingPathComponent(".cookie")
        try Data("__cookie__:abc".utf8).write(to: cookie)
        let run = try Spoor.run(["ingest", "--rpc", "http://127.0.0.1:\(port)", "--rpc-cookie", cookie.path,
                                 "--db", scratch.db("x")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("connection refused — is the server running"), "\(run)")
        #expect(run.seconds < Self.refusalSeconds, "not retried: nothing ever answered there")
    }

    @Test func aStartingNodeIsWaitedForThenRead() throws {
        let node = try RegtestNode(label: "warmup")
        defer { node.remove() }
        let scratch = try Scratch("warmup")
        defer { scratch.remove() }
        // Enough blocks that verifying them all at the highest level outlasts a loaded CI machine's delay in
        // starting Spoor's first call (150 blocks and 3 tries were seen to miss the warm-up under load).
        try node.mine(400, to: try Self.burnAddress(node))
        try node.stop()

        // Verifying every block at the highest level keeps the node in warm-up (-28) for a while after its
        // RPC server, and so its cookie, is up. Spoor starts the moment the cookie appears.
        var told: [String] = []
        for attempt in 1...6 where told.isEmpty {
            try node.start(extra: ["-checkblocks=0", "-checklevel=4"], waitUntilReady: false)
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: node.cookiePath) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
            let client = NodeRPCClient(url: URL(string: node.url)!,
                                       credentials: try NodeRPCCredentials.cookie(at: node.cookiePath))
            client.warmupPoll = 0.05
            client.onWarmup = { told.append($0) }
            let summary = try Ingestor(database: try CaseDatabase(path: scratch.db("warm-\(attempt)")))
                .ingest(try NodeRPCSource(client: client))
            #expect(summary.blocksAdded == 401)
            if told.isEmpty {  // the node had finished starting before Spoor's first call: try again
                try node.stop()
            }
        }
        #expect(!told.isEmpty)
        #expect(told.allSatisfy { $0.hasSuffix("…") || $0.hasSuffix("...") }, "\(Set(told))")
    }

    @Test func aPrunedNodeNamesTheFirstMissingHeight() throws {
        let node = try RegtestNode(["-prune=1", "-fastprune"], label: "pruned")
        defer { node.remove() }
        let scratch = try Scratch("pruned")
        defer { scratch.remove() }
        // 64 KiB block files (-fastprune); Core keeps the last 288 blocks whatever is asked.
        try node.mine(700, to: try Self.burnAddress(node))
        let lastPruned = try node.int("pruneblockchain", [400])
        try #require(lastPruned > 0, "nothing was pruned")
        let info = try node.object("getblockchaininfo")
        let pruneHeight = try #require(info["pruneheight"] as? Int)
        #expect(pruneHeight == lastPruned + 1)

        let run = try Spoor.run(["ingest", "--rpc", node.url, "--rpc-cookie", node.cookiePath, "--db", scratch.db("p")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("is a pruned node"), "\(run)")
        #expect(run.stderr.contains("the first height asked for, 0, is one of them"))
        #expect(run.stderr.contains("--from-height \(pruneHeight)"))
        #expect(try !FileManager.default.fileExists(atPath: scratch.db("p"))
                || StoreQueries.bestHeight(CaseDatabase(path: scratch.db("p"), mode: .readOnly)) == nil)

        let rest = try Spoor.ingestRPC(node, db: scratch.db("rest"), extra: ["--from-height", "\(pruneHeight)"])
        #expect(rest["blocks_added"] as? Int == 700 - pruneHeight + 1)
    }

    /// A P2WPKH address no wallet holds (of the generator point's key), for mining without a wallet.
    static func burnAddress(_ node: RegtestNode) throws -> String {
        let key = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        let described = try node.object("getdescriptorinfo", ["wpkh(\(key))"])
        let descriptor = try #require(described["descriptor"] as? String)
        return try #require((try node.call("deriveaddresses", [descriptor]) as? [String])?.first)
    }
}

/// Hands on a source's items and runs `action` once, right after the block at `height` was handed on.
final class StopAfter: ChainSource {
    private let source: NodeRPCSource
    private let height: Int
    private var action: (() throws -> Void)?

    init(_ source: NodeRPCSource, height: Int, action: @escaping () throws -> Void) {
        self.source = source
        self.height = height
        self.action = action
    }

    var network: Network? { source.network }

    func next() throws -> SourceItem? {
        let item = try source.next()
        if case .block(let sb)? = item, sb.height == height, let action {
            self.action = nil
            try action()
        }
        return item
    }
}
