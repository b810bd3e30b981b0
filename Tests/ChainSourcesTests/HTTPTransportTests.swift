import Foundation
import SpoorTestSupport
import Testing

@testable import ChainSources

/// The transport against loopback servers that misbehave the way issue 10 found: challenges, redirects to
/// another origin, answers too large to hold.
@Suite struct HTTPTransportTests {
    static let fastPolicy = HTTPPolicy(maxAttempts: 3, initialBackoff: 0.01, timeout: 10)

    @Test(arguments: [#"Basic realm="jsonrpc""#, "Basic", "Bearer", #"Digest realm="x", nonce="1""#])
    func aChallengeIsAClearErrorAtOnce(challenge: String) throws {
        // Core answers a wrong password or a stale cookie with 401 and `WWW-Authenticate: Basic realm="jsonrpc"`.
        let server = try LoopbackHTTPServer { _ in
            LoopbackResponse(status: 401, headers: ["WWW-Authenticate": challenge])
        }
        defer { server.stop() }
        let url = try #require(URL(string: server.baseURL + "/"))
        let transport = HTTPTransport(policy: Self.fastPolicy)
        let outcome = withinSeconds(10) {
            try transport.send(method: "POST", url: url, headers: ["Authorization": "Basic eDp5"], body: [0x7b, 0x7d])
        }
        let result = try #require(outcome, "a 401 with WWW-Authenticate: \(challenge) did not end within 10 s")
        guard case .failure(let error as HTTPError) = result else {
            Issue.record("expected an HTTPError, got \(result)")
            return
        }
        #expect(error.kind == .unauthorized(status: 401))
        #expect(error.attempts == 1)
        #expect(server.requests.count == 1)
    }

    @Test func aRedirectToAnotherOriginIsNotFollowedAndCredentialsStayHome() throws {
        let elsewhere = try LoopbackHTTPServer { _ in .json(#"{"result":1,"error":null,"id":0}"#) }
        defer { elsewhere.stop() }
        let target = elsewhere.baseURL + "/steal"
        let server = try LoopbackHTTPServer { _ in
            LoopbackResponse(status: 307, headers: ["Location": target])
        }
        defer { server.stop() }
        let transport = HTTPTransport(policy: Self.fastPolicy)
        let url = try #require(URL(string: server.baseURL + "/"))
        let error = #expect(throws: HTTPError.self) {
            try transport.send(method: "POST", url: url, headers: ["Authorization": "Basic c2VjcmV0OnNlY3JldA=="],
                               body: Array("{}".utf8))
        }
        #expect(error?.kind == .redirect(status: 307, location: target))
        #expect(error?.description.contains("follows no redirects") == true)
        #expect(elsewhere.requests.isEmpty, "the redirect was followed: \(elsewhere.requests.map(\.headers))")
    }

    @Test func aSameOriginRedirectIsNotFollowedEither() throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/moved" ? .text("here") : LoopbackResponse(status: 301, headers: ["Location": "/moved"])
        }
        defer { server.stop() }
        let url = try #require(URL(string: server.baseURL + "/"))
        let error = #expect(throws: HTTPError.self) { try HTTPTransport(policy: Self.fastPolicy).send(method: "GET", url: url) }
        #expect(error?.kind == .redirect(status: 301, location: "/moved"))
        #expect(server.requests.map(\.path) == ["/"])
    }

    @Test func anAnswerLargerThanTheCapEndsInAnErrorNamingTheURL() throws {
        // 8 MiB against a 1 MiB cap, announced by Content-Length (refused before the body is read) and not
        // announced (cut off while reading).
        let body = [UInt8](repeating: 0x61, count: 8 << 20)
        for announced in [true, false] {
            let server = try LoopbackHTTPServer { _ in
                LoopbackResponse(status: 200, body: body, contentLength: announced)
            }
            defer { server.stop() }
            var policy = Self.fastPolicy
            policy.maxAnswerBytes = 1 << 20
            let url = try #require(URL(string: server.baseURL + "/big"))
            let error = #expect(throws: HTTPError.self) { try HTTPTransport(policy: policy).send(method: "GET", url: url) }
            #expect(error?.kind == .answerTooLarge(limit: 1 << 20), "announced: \(announced)")
            #expect(error?.description.contains(server.baseURL + "/big") == true)
            #expect(error?.description.contains("1 MiB") == true)
            #expect(error?.attempts == 1)
        }
    }

    @Test func anAnswerAtTheCapIsWhole() throws {
        let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let server = try LoopbackHTTPServer { _ in LoopbackResponse(status: 200, body: body, contentLength: false) }
        defer { server.stop() }
        var policy = Self.fastPolicy
        policy.maxAnswerBytes = body.count
        let url = try #require(URL(string: server.baseURL + "/exact"))
        #expect(try HTTPTransport(policy: policy).send(method: "GET", url: url).body == body)
    }

    @Test func userAndPasswordInTheURLAreNeverSent() throws {
        let server = try LoopbackHTTPServer { _ in .text("ok") }
        defer { server.stop() }
        let url = try #require(URL(string: "http://alice:url-secret@127.0.0.1:\(server.port)/x"))
        _ = try HTTPTransport(policy: Self.fastPolicy).send(method: "GET", url: url)
        #expect(server.requests.count == 1)
        #expect(server.requests.first?.headers["authorization"] == nil)
    }

    @Test func aServerThatStopsAnsweringIsRetriedThenNamed() throws {
        // Refused from the start: no retry (nothing listens). Refused after answering: the server stopped or
        // restarts, so the policy's attempts are spent before the error.
        let server = try LoopbackHTTPServer { _ in .text("ok") }
        let url = try #require(URL(string: server.baseURL + "/x"))
        let clock = RecordingClock()
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 4, initialBackoff: 0.5), clock: clock.clock)
        _ = try transport.send(method: "GET", url: url)
        server.stop()
        let error = #expect(throws: HTTPError.self) { try transport.send(method: "GET", url: url) }
        #expect(error?.kind == .connectionRefused)
        #expect(error?.attempts == 4)
        #expect(clock.sleeps == [0.5, 1.0, 2.0])
        #expect(error?.description.contains("stopped listening") == true)
    }

    @Test func aSilentServerEndsWithinTheTimeout() throws {
        // Accepts and never answers: the attempt ends at the policy's timeout, however the server stalls.
        let server = try LoopbackHTTPServer { _ in
            // Far longer than the bound below, so that a loaded CI machine cannot make the bound flaky.
            Thread.sleep(forTimeInterval: 30)
            return .text("late")
        }
        defer { server.stop() }
        let url = try #require(URL(string: server.baseURL + "/slow"))
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 1, timeout: 0.5))
        let started = Date()
        let error = #expect(throws: HTTPError.self) { try transport.send(method: "GET", url: url) }
        #expect(Date().timeIntervalSince(started) < 15, "the 0.5 s timeout fired, not the server's 30 s answer")
        #expect(error?.description.contains("no complete answer within") == true)
    }
}
