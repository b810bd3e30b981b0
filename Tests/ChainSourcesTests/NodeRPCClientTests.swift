import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

@testable import ChainSources

/// Records the waits the transport asks for instead of waiting, and advances a fake clock by them.
final class RecordingClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = 1000.0
    private var _sleeps: [Double] = []
    var sleeps: [Double] { lock.withLock { _sleeps } }

    var clock: HTTPClock {
        HTTPClock(now: { [self] in lock.withLock { time } },
                  sleep: { [self] d in lock.withLock { _sleeps.append(d); time += d } })
    }
}

/// Synthetic `getblock` lines: only what the stand-in node indexes (hash, height). Transport behaviour only;
/// the real chain is served in the source and ingest tests.
private func syntheticLines(_ n: Int) -> [[UInt8]] {
    (0..<n).map { h in
        let hash = String(repeating: "0", count: 62) + String(format: "%02x", h + 1)
        return Array(#"{"hash":"\#(hash)","height":\#(h)}"#.utf8)
    }
}

@Suite struct NodeRPCClientTests {
    @Test func batchOfBlockHashesIsOneRequestInOrder() throws {
        let node = try FakeNodeRPC(lines: syntheticLines(5))
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let hashes = try client.blockHashes([3, 1, 4])
        #expect(hashes.map(\.hex) == [3, 1, 4].map { String(repeating: "0", count: 62) + String(format: "%02x", $0 + 1) })
        #expect(node.batchSizes == [3])
        let info = try client.blockchainInfo()
        #expect(info.network == .regtest)
        #expect(info.blocks == 4)
    }

    @Test func rpcErrorNamesMethodAndHeight() throws {
        var options = FakeNodeRPC.Options()
        options.failingHeight = 2
        let node = try FakeNodeRPC(lines: syntheticLines(5), options: options)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let error = #expect(throws: NodeRPCError.self) { try client.blockHashes([1, 2, 3]) }
        #expect(error?.kind == .rpc(code: -8))
        #expect(error?.description.contains("getblockhash (height 2)") == true)
        #expect(error?.description.contains("Block height out of range") == true)
    }

    @Test func transientFailuresAreRetriedWithGrowingBackoff() throws {
        var options = FakeNodeRPC.Options()
        options.transientFailures = 3
        let node = try FakeNodeRPC(lines: syntheticLines(2), options: options)
        defer { node.stop() }
        let clock = RecordingClock()
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 5, initialBackoff: 0.5), clock: clock.clock)
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil, transport: transport)
        #expect(try client.blockHashes([0]).count == 1)
        #expect(clock.sleeps == [0.5, 1.0, 2.0])
        #expect(transport.retryCount == 3)
    }

    @Test func persistentFailureGivesUpNamingTheStatus() throws {
        var options = FakeNodeRPC.Options()
        options.transientFailures = 100
        let node = try FakeNodeRPC(lines: syntheticLines(2), options: options)
        defer { node.stop() }
        let clock = RecordingClock()
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 3), clock: clock.clock)
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil, transport: transport)
        let error = #expect(throws: NodeRPCError.self) { try client.blockHashes([0]) }
        #expect(error?.description.contains("HTTP 503") == true)
        #expect(error?.description.contains("after 3 attempts") == true)
        #expect(error?.description.contains("Work queue depth exceeded") == true)
    }

    @Test func connectionRefusedIsClearAndNotRetried() throws {
        // A port that was just free: start a server, note its port, stop it.
        let server = try LoopbackHTTPServer { _ in .text("") }
        let port = server.port
        server.stop()
        let clock = RecordingClock()
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 5), clock: clock.clock)
        let client = NodeRPCClient(url: try #require(URL(string: "http://127.0.0.1:\(port)")), credentials: nil,
                                   transport: transport)
        let error = #expect(throws: NodeRPCError.self) { try client.blockchainInfo() }
        #expect(error?.description.contains("connection refused") == true)
        #expect(error?.description.contains("127.0.0.1:\(port)") == true)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func wrongPasswordIsUnauthorizedAndThePasswordIsNeverShown() throws {
        var options = FakeNodeRPC.Options()
        options.credentials = ("__cookie__", "right-secret-4711")
        let node = try FakeNodeRPC(lines: syntheticLines(2), options: options)
        defer { node.stop() }
        let dir = try Fixtures.temporaryDirectory("rpc-cookie")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cookie = dir.appendingPathComponent(".cookie")
        try Data("__cookie__:wrong-secret-0815".utf8).write(to: cookie)
        let wrong = try NodeRPCCredentials.cookie(at: cookie.path)
        #expect(!"\(wrong)".contains("wrong-secret-0815"))
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: wrong)
        let error = #expect(throws: NodeRPCError.self) { try client.blockchainInfo() }
        #expect(error?.kind == .http)
        #expect(error?.description.contains("401") == true)
        #expect(error?.description.contains("credentials") == true)
        #expect(error?.description.contains("wrong-secret-0815") == false)

        try Data("__cookie__:right-secret-4711\n".utf8).write(to: cookie)
        let right = try NodeRPCCredentials.cookie(at: cookie.path)
        let ok = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: right)
        #expect(try ok.blockchainInfo().blocks == 1)
    }

    @Test func passwordInTheURLIsNotShownInErrors() throws {
        let server = try LoopbackHTTPServer { _ in .text("", status: 401) }
        defer { server.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: "http://alice:url-secret-99@127.0.0.1:\(server.port)")),
                                   credentials: nil)
        let error = #expect(throws: NodeRPCError.self) { try client.blockchainInfo() }
        #expect(error?.description.contains("url-secret-99") == false)
        #expect(error?.description.contains("127.0.0.1:\(server.port)") == true)
    }

    @Test func userPasswordComesFromTheEnvironmentOnly() throws {
        let missing = #expect(throws: NodeRPCError.self) {
            try NodeRPCCredentials.user("alice", passwordFromEnvironment: "SPOOR_RPC_PASSWORD", environment: [:])
        }
        #expect(missing?.description.contains("SPOOR_RPC_PASSWORD") == true)
        let c = try NodeRPCCredentials.user("alice", passwordFromEnvironment: "SPOOR_RPC_PASSWORD",
                                            environment: ["SPOOR_RPC_PASSWORD": "env-secret-31"])
        #expect("\(c)" == "user alice (password hidden)")
        #expect(c.authorizationHeader == "Basic " + Data("alice:env-secret-31".utf8).base64EncodedString())
    }

    @Test func malformedCookieIsRefusedWithoutEchoingIt() throws {
        let dir = try Fixtures.temporaryDirectory("rpc-cookie")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cookie = dir.appendingPathComponent(".cookie")
        try Data("no-colon-secret".utf8).write(to: cookie)
        let error = #expect(throws: NodeRPCError.self) { try NodeRPCCredentials.cookie(at: cookie.path) }
        #expect(error?.description.contains(cookie.path) == true)
        #expect(error?.description.contains("no-colon-secret") == false)
        let absent = #expect(throws: NodeRPCError.self) {
            try NodeRPCCredentials.cookie(at: dir.appendingPathComponent("none").path)
        }
        #expect(absent?.description.contains("cannot read the cookie file") == true)
    }

    @Test func malformedAnswerNamesTheURL() throws {
        var options = FakeNodeRPC.Options()
        options.rawAnswer = #"[{"result":"abc","error":null,"id":0"#
        let node = try FakeNodeRPC(lines: syntheticLines(2), options: options)
        defer { node.stop() }
        let client = NodeRPCClient(url: try #require(URL(string: node.url)), credentials: nil)
        let error = #expect(throws: NodeRPCError.self) { try client.blockHashes([0]) }
        #expect(error?.kind == .malformed)
        #expect(error?.description.contains(node.url) == true)
        #expect(error?.description.contains("not a JSON-RPC batch reply") == true)
    }

    @Test func rateLimitSpacesRequests() throws {
        let server = try LoopbackHTTPServer { _ in .text("ok") }
        defer { server.stop() }
        let clock = RecordingClock()
        let transport = HTTPTransport(policy: HTTPPolicy(maxRequestsPerSecond: 5), clock: clock.clock)
        let url = try #require(URL(string: server.baseURL + "/x"))
        for _ in 0..<10 { _ = try transport.send(method: "GET", url: url) }
        // The fake clock only moves when the transport waits, so every request after the first waits 0.2 s.
        #expect(clock.sleeps.count == 9)
        #expect(abs(clock.sleeps.reduce(0, +) - 1.8) < 1e-9)
        #expect(server.requests.count == 10)
    }

    @Test func retryAfterIsHonoured() throws {
        let server = try LoopbackHTTPServer { _ in
            LoopbackResponse(status: 429, headers: ["Retry-After": "3"], body: Array("slow down".utf8))
        }
        defer { server.stop() }
        let clock = RecordingClock()
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 2, initialBackoff: 0.5), clock: clock.clock)
        let url = try #require(URL(string: server.baseURL + "/x"))
        let error = #expect(throws: HTTPError.self) { try transport.send(method: "GET", url: url) }
        #expect(error?.kind == .status(429))
        // The server's Retry-After (3 s) wins over the policy's 0.5 s first backoff.
        #expect(clock.sleeps == [3.0])
        #expect(server.requests.count == 2)
        #expect(error?.description.contains("HTTP 429 (after 2 attempts)") == true)
    }
}
