import ChainSources
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// Issue 10, defects 7 and 8, end to end: a server that answers every request with 401 and a challenge (Core for a
/// wrong password or a stale cookie; any Esplora behind an authenticating proxy) ends `spoor fetch` and `spoor
/// ingest --rpc` with a clear error at once (before the transport moved to libcurl both waited forever); a redirect
/// to another origin ends `ingest --rpc` without sending it anything.
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

    /// `spoor ingest --rpc URL` with a cookie file, as a child process: the command is async, and a hang must not
    /// hold a thread the test runner needs. Killed after 15 s.
    static func ingestRPC(_ url: String, cookieText: String) throws -> (run: ChildRun, cookie: String) {
        let dir = try Fixtures.temporaryDirectory("rpc-refusal")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cookie = dir.appendingPathComponent(".cookie")
        try Data(cookieText.utf8).write(to: cookie)
        let db = dir.appendingPathComponent("case.sqlite").path
        let executable = try #require(ChildRun.spoor, "build the spoor executable first (swift build)")
        let run = try ChildRun.run(executable, ["ingest", "--rpc", url, "--rpc-cookie", cookie.path, "--db", db, "--quiet"],
                                   timeout: 15)
        return (run, cookie.path)
    }

    @Test func ingestRPCEndsAtOnceOnAChallenge() throws {
        let server = try Self.challengingServer()
        defer { server.stop() }
        let (run, cookie) = try Self.ingestRPC(server.baseURL, cookieText: "__cookie__:stale")
        #expect(!run.timedOut, "spoor ingest --rpc did not end within 15 s of a 401")
        #expect(run.status == 1)
        #expect(run.stderr.contains("HTTP 401: the server refused the credentials"), "\(run)")
        #expect(run.stderr.contains("cookie \(cookie)"))
        #expect(server.requests.count == 1)
    }

    /// Defect 7, end to end: a node URL that redirects to another origin (a proxy, or anyone on the path) ends
    /// `spoor ingest --rpc` with the redirect named, and the other origin never sees a request, so never the
    /// cookie. URLSession followed the redirect and sent `Authorization: Basic` there.
    @Test func ingestRPCSendsNoCredentialsAcrossARedirect() throws {
        let elsewhere = try LoopbackHTTPServer { _ in .json(#"{"result":null,"error":null,"id":0}"#) }
        defer { elsewhere.stop() }
        let target = elsewhere.baseURL + "/"
        let server = try LoopbackHTTPServer { _ in LoopbackResponse(status: 307, headers: ["Location": target]) }
        defer { server.stop() }
        let (run, _) = try Self.ingestRPC(server.baseURL, cookieText: "__cookie__:secret")
        #expect(!run.timedOut, "spoor ingest --rpc did not end within 15 s of a redirect")
        #expect(run.status == 1)
        #expect(run.stderr.contains("HTTP 307") && run.stderr.contains(target), "\(run)")
        #expect(elsewhere.requests.isEmpty, "sent to another origin: \(elsewhere.requests.map(\.headers))")
        #expect(server.requests.count == 1)
    }
}
