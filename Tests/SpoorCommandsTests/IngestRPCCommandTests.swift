import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// `spoor ingest --rpc` as a child process against the loopback stand-in: what it says on standard error
/// while a node starts. (The same against a real node: `NodeIntegrationTests`.)
@Suite struct IngestRPCCommandTests {
    static let jsonl = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path

    @Test func aStartingNodeIsWaitedForWithOneLineOnStandardError() throws {
        let reader = try GzipLineReader(path: Self.jsonl)
        var lines: [[UInt8]] = []
        while lines.count < 30, let line = try reader.nextLine() { lines.append(line) }
        var options = FakeNodeRPC.Options()
        options.warmupAnswers = 2
        let node = try FakeNodeRPC(lines: lines, options: options)
        defer { node.stop() }
        let dir = try Fixtures.temporaryDirectory("rpc-warmup")
        defer { try? FileManager.default.removeItem(at: dir) }
        let executable = try #require(ChildRun.spoor, "build the spoor executable first (swift build)")
        let run = try ChildRun.run(executable, ["ingest", "--rpc", node.url, "--db", dir.appendingPathComponent("c.sqlite").path,
                                                "--json"], timeout: 60)
        #expect(run.status == 0, "\(run)")
        // Two answers of the same status: said once.
        #expect(run.stderr.components(separatedBy: "the node is still starting (Loading block index…); waiting").count == 2,
                "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(summary?["blocks_added"] as? Int == 30, "\(run.stdout)")
    }
}
