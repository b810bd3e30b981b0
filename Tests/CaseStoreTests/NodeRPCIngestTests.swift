import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// The node path end to end: small-seed1 served by the loopback JSON-RPC stand-in from the node's own
/// `getblock … 3` answers, ingested through the store, compared with ingesting the same file directly.
@Suite struct NodeRPCIngestTests {
    static let jsonl = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path

    static func lines() throws -> [[UInt8]] {
        let reader = try GzipLineReader(path: jsonl)
        var out: [[UInt8]] = []
        while let line = try reader.nextLine() { out.append(line) }
        return out
    }

    func ingestFile(into path: String) throws -> IngestSummary {
        try Ingestor(database: try CaseDatabase(path: path)).ingest(NodeJSONSource(path: Self.jsonl))
    }

    func ingestNode(_ node: FakeNodeRPC, into path: String, from: Int? = nil, to: Int? = nil,
                    credentials: NodeRPCCredentials? = nil) throws -> IngestSummary {
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: credentials)
        let source = try NodeRPCSource(client: client, fromHeight: from, toHeight: to, blocksPerRequest: 20)
        return try Ingestor(database: try CaseDatabase(path: path)).ingest(source)
    }

    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) func nodeIngestEqualsFileIngest() throws {
        let node = try FakeNodeRPC(lines: try Self.lines())
        defer { node.stop() }
        let viaFile = try temporaryDatabasePath("rpc-file")
        let viaNode = try temporaryDatabasePath("rpc-node")
        let fileSummary = try ingestFile(into: viaFile)
        let nodeSummary = try ingestNode(node, into: viaNode)
        #expect(nodeSummary.blocksAdded == fileSummary.blocksAdded)
        #expect(nodeSummary.transactionsAdded == fileSummary.transactionsAdded)
        #expect(nodeSummary.unresolvedInputs == 0)
        #expect(try fullDump(viaNode) == fullDump(viaFile))
        #expect(try StoreQueries.stats(try CaseDatabase(path: viaNode, mode: .readOnly)).transactions == 2470)
    }

    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) func heightRangesInTwoRunsEqualOneRun() throws {
        let node = try FakeNodeRPC(lines: try Self.lines())
        defer { node.stop() }
        let whole = try temporaryDatabasePath("rpc-whole")
        let split = try temporaryDatabasePath("rpc-split")
        _ = try ingestNode(node, into: whole)
        let first = try ingestNode(node, into: split, from: 0, to: 150)
        #expect(first.blocksAdded == 151)
        #expect(first.tipHeight == 150)
        let partialStats = try StoreQueries.stats(try CaseDatabase(path: split, mode: .readOnly))
        #expect(partialStats.bestHeight == 150)
        #expect(partialStats.unresolvedInputs == 0)
        let second = try ingestNode(node, into: split, from: 151)
        #expect(second.blocksAdded == 336 - 150)
        #expect(try canonicalDump(split) == canonicalDump(whole))
        // Asking again for blocks already stored changes nothing.
        let again = try ingestNode(node, into: split, from: 100, to: 200)
        #expect(again.blocksAdded == 0)
        #expect(again.blocksSkipped == 101)
        #expect(try canonicalDump(split) == canonicalDump(whole))
    }

    @Test func theRPCPasswordIsNeverStored() throws {
        let password = "never-stored-pw-4f1c9a"
        var options = FakeNodeRPC.Options()
        options.credentials = ("alice", password)
        let node = try FakeNodeRPC(lines: Array(try Self.lines().prefix(30)), options: options)
        defer { node.stop() }
        let path = try temporaryDatabasePath("rpc-password")
        let credentials = try NodeRPCCredentials.user("alice", passwordFromEnvironment: "PW",
                                                      environment: ["PW": password])
        let summary = try ingestNode(node, into: path, credentials: credentials)
        #expect(summary.blocksAdded == 30)
        // Every byte of the database and its side files, and the summary as the command prints it.
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            let bytes = try Data(contentsOf: dir.appendingPathComponent(file))
            #expect(bytes.range(of: Data(password.utf8)) == nil, "\(file) holds the password")
            #expect(bytes.range(of: Data(Data("alice:\(password)".utf8).base64EncodedString().utf8)) == nil)
        }
        let json = try JSONEncoder().encode(summary)
        #expect(String(decoding: json, as: UTF8.self).contains(password) == false)
        #expect(node.server.requests.allSatisfy { $0.headers["authorization"] != nil })
    }
}
