import ChainSources
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// Issue 10, defect 8, end to end: a server that answers every request with 401 and a challenge (Core for a wrong
/// password or a stale cookie; any Esplora behind an authenticating proxy) ends `spoor fetch` and `spoor ingest
/// --rpc` with a clear error at once. Before the transport moved to libcurl both waited forever.
@Suite struct HTTPRefusalCommandTests {
    static func challengingServer() throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { _ in
            LoopbackResponse(status: 401, headers: ["WWW-Authenticate": #"Basic realm="jsonrpc""#])
        }
    }

    @Test func fetchEndsAtOnceOnAChallenge() throws {
        let server = try Self.challengingServer()
        defer { server.stop() }
        let dir = try Fixtures.temporaryDirectory("fetch-401")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("case.sqlite").path
        let url = server.baseURL
        let outcome = withinSeconds(15) {
            _ = try FetchRun(esplora: url, addresses: ["2Mxxtot4eqbwSH9swF2AP6oFqdvNbbD2VyC"], hops: 0, db: path,
                             rate: 1000, network: .regtest, progress: nil).run()
        }
        let result = try #require(outcome, "spoor fetch did not end within 15 s of a 401")
        guard case .failure(let error) = result else {
            Issue.record("spoor fetch succeeded against a server that refuses everything")
            return
        }
        #expect("\(error)".contains("HTTP 401"), "\(error)")
        #expect(server.requests.count == 1, "a refusal is not retried")
    }

    @Test func ingestRPCEndsAtOnceOnAChallenge() throws {
        let server = try Self.challengingServer()
        defer { server.stop() }
        let dir = try Fixtures.temporaryDirectory("rpc-401")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cookie = dir.appendingPathComponent(".cookie")
        try Data("__cookie__:stale".utf8).write(to: cookie)
        let db = dir.appendingPathComponent("case.sqlite").path
        // A child process: the command is async, and a hang must not hold a thread the test runner needs.
        let executable = try #require(ChildRun.spoor, "build the spoor executable first (swift build)")
        let run = try ChildRun.run(executable, ["ingest", "--rpc", server.baseURL, "--rpc-cookie", cookie.path,
                                                "--db", db, "--quiet"], timeout: 15)
        #expect(!run.timedOut, "spoor ingest --rpc did not end within 15 s of a 401")
        #expect(run.status == 1)
        let error = run.stderr
        #expect(error.contains("HTTP 401: the server refused the credentials"), "\(run)")
        #expect(error.contains("cookie \(cookie.path)"))
        #expect(server.requests.count == 1)
    }
}

