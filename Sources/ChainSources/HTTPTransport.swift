import CCurl
import Foundation

/// A failed HTTP exchange, naming the URL (never its credentials) and what went wrong.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Nothing listens at the address (no node, wrong port).
        case connectionRefused
        /// The server refused the credentials (HTTP 401/403).
        case unauthorized(status: Int)
        /// Any other non-2xx answer, after retries when it was transient.
        case status(Int)
        /// The connection failed or timed out, after retries.
        case transport(String)
        /// The URL cannot be used (not http/https).
        case badURL
        /// The server answered with a redirect, which is never followed (see `HTTPTransport`).
        case redirect(status: Int, location: String)
        /// The answer is larger than `HTTPPolicy.maxAnswerBytes`.
        case answerTooLarge(limit: Int)
    }

    public var kind: Kind
    /// The URL with any user:password removed.
    public var url: String
    /// How many attempts were made.
    public var attempts: Int
    /// The start of the server's answer body, for a person to read (credentials are never part of it).
    public var bodyExcerpt: String?

    public var description: String {
        let tries = attempts > 1 ? " (after \(attempts) attempts)" : ""
        let said = bodyExcerpt.map { $0.isEmpty ? "" : ": \($0)" } ?? ""
        switch kind {
        case .connectionRefused:
            return attempts > 1
                ? "\(url): connection refused\(tries) — the server answered earlier and stopped listening "
                    + "(was it stopped or restarted?)"
                : "\(url): connection refused — is the server running and listening on that port?"
        case .unauthorized(let status):
            return "\(url): HTTP \(status): the server refused the credentials (check the cookie file or "
                + "the user name and password environment variable)"
        case .status(let status):
            return "\(url): HTTP \(status)\(tries)\(said)"
        case .transport(let why):
            return "\(url): \(why)\(tries)"
        case .badURL:
            return "\(url): not an http:// or https:// URL"
        case .redirect(let status, let location):
            return "\(url): HTTP \(status) redirects to \(location.isEmpty ? "(no Location)" : location); Spoor "
                + "follows no redirects (a redirect could send the request and its credentials to another "
                + "server): give the final URL"
        case .answerTooLarge(let limit):
            return "\(url): the answer is larger than the \(Self.size(limit)) Spoor accepts for one answer"
        }
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// Politeness and persistence for a remote API: how fast to ask, how often and how long to retry, and how much
/// one answer may cost.
public struct HTTPPolicy: Sendable {
    /// Requests per second at most; nil for no limit (a local node).
    public var maxRequestsPerSecond: Double?
    /// Attempts per request, including the first.
    public var maxAttempts: Int
    /// Delay before the first retry; doubled each retry up to `maxBackoff`.
    public var initialBackoff: Double
    public var maxBackoff: Double
    /// Seconds one attempt may take in all: connecting, waiting and reading the whole answer.
    public var timeout: Double
    /// The largest answer body accepted; a larger one ends the exchange with `.answerTooLarge` (memory stays
    /// bounded by about this much per transport).
    public var maxAnswerBytes: Int

    public init(maxRequestsPerSecond: Double? = nil, maxAttempts: Int = 5, initialBackoff: Double = 0.5,
                maxBackoff: Double = 30, timeout: Double = 120, maxAnswerBytes: Int = 64 << 20) {
        self.maxRequestsPerSecond = maxRequestsPerSecond
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.timeout = timeout
        self.maxAnswerBytes = max(1, maxAnswerBytes)
    }
}

/// Time for pacing and backoff, replaceable so tests can check the waits without waiting.
public struct HTTPClock: Sendable {
    public var now: @Sendable () -> Double
    public var sleep: @Sendable (Double) -> Void

    public init(now: @escaping @Sendable () -> Double, sleep: @escaping @Sendable (Double) -> Void) {
        self.now = now
        self.sleep = sleep
    }

    public static let system = HTTPClock(
        now: { Date().timeIntervalSinceReferenceDate },
        sleep: { if $0 > 0 { Thread.sleep(forTimeInterval: $0) } })
}

/// A blocking HTTP client over Debian's libcurl with rate limiting and retries with exponential backoff on
/// transient failures (429, 408, 5xx other than 501, dropped connections, timeouts, and a refused connection
/// from a server that answered this transport before — a node that stopped or restarts).
///
/// What it never does, because its servers may be hostile or misconfigured: follow a redirect (the request and
/// its `Authorization` header would go wherever the server says), answer an authentication challenge (a 401 is
/// an error at once, whatever `WWW-Authenticate` says), send credentials from the URL's user:password (only the
/// headers the caller passes), take longer than `timeout` per attempt, or hold more than `maxAnswerBytes` of
/// one answer. libcurl rather than URLSession: on Linux, URLSession waits forever on a 401 with
/// `WWW-Authenticate` (swift-corelibs-foundation #5456) and cannot bound an answer's size before holding it.
///
/// Blocking, because chain sources are pulled one item at a time; one request is in flight at once, on a kept-
/// alive connection.
public final class HTTPTransport: @unchecked Sendable {
    public let policy: HTTPPolicy
    private let clock: HTTPClock
    private let lock = NSLock()
    private var lastStart: Double?
    private var _requests = 0
    private var _retries = 0
    private var hadAnswer = false
    /// Serialises use of `connection` (one exchange at a time).
    private let exchangeLock = NSLock()
    private let connection: CurlConnection

    public init(policy: HTTPPolicy = HTTPPolicy(), clock: HTTPClock = .system) {
        self.policy = policy
        self.clock = clock
        connection = CurlConnection()
    }

    /// Requests sent (each attempt counts) and how many of them were retries.
    public var requestCount: Int { lock.withLock { _requests } }
    public var retryCount: Int { lock.withLock { _retries } }

    /// The URL as it may be shown: without user or password.
    public static func displayString(_ url: URL) -> String {
        guard var c = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "(unprintable URL)" }
        c.user = nil
        c.password = nil
        return c.string ?? "(unprintable URL)"
    }

    /// One exchange. `okStatuses` are answers handed back rather than thrown (JSON-RPC servers answer some
    /// errors with a body worth reading). Transient failures are retried per the policy.
    public func send(method: String, url: URL, headers: [String: String] = [:], body: [UInt8]? = nil,
                     okStatuses: Set<Int> = []) throws(HTTPError) -> (status: Int, body: [UInt8]) {
        let shown = Self.displayString(url)
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw HTTPError(kind: .badURL, url: shown, attempts: 0)
        }
        let request = CurlConnection.Request(method: method, url: shown, headers: headers, body: body,
                                             timeout: policy.timeout, maxAnswerBytes: policy.maxAnswerBytes)
        var attempt = 0
        var backoff = policy.initialBackoff
        while true {
            attempt += 1
            pace()
            let outcome = exchangeLock.withLock { connection.perform(request) }
            let lastAttempt = attempt >= policy.maxAttempts
            var retryAfter: Double?
            switch outcome {
            case .answer(let answer):
                lock.withLock { hadAnswer = true }
                let status = answer.status
                if (200..<300).contains(status) || okStatuses.contains(status) { return (status, answer.body) }
                if status == 401 || status == 403 {
                    throw HTTPError(kind: .unauthorized(status: status), url: shown, attempts: attempt)
                }
                if (300..<400).contains(status) {
                    let location = answer.headers["location"].map(Self.withoutCredentials) ?? ""
                    throw HTTPError(kind: .redirect(status: status, location: location), url: shown,
                                    attempts: attempt)
                }
                let transient = status == 429 || status == 408 || (status >= 500 && status != 501)
                if !transient || lastAttempt {
                    throw HTTPError(kind: .status(status), url: shown, attempts: attempt,
                                    bodyExcerpt: Self.excerpt(answer.body))
                }
                retryAfter = answer.headers["retry-after"].flatMap { Double($0) }
            case .tooLarge:
                throw HTTPError(kind: .answerTooLarge(limit: policy.maxAnswerBytes), url: shown, attempts: attempt)
            case .refused:
                // A server that answered before and now refuses is stopping or restarting: worth a retry.
                if lastAttempt || !lock.withLock({ hadAnswer }) {
                    throw HTTPError(kind: .connectionRefused, url: shown, attempts: attempt)
                }
            case .badURL:
                throw HTTPError(kind: .badURL, url: shown, attempts: attempt)
            case .failed(let why, let transient):
                if !transient || lastAttempt {
                    throw HTTPError(kind: .transport(why), url: shown, attempts: attempt)
                }
            }
            lock.withLock { _retries += 1 }
            clock.sleep(min(policy.maxBackoff, max(backoff, retryAfter ?? 0)))
            backoff = min(policy.maxBackoff, backoff * 2)
        }
    }

    /// A Location header's URL without user:password (it is shown in messages).
    private static func withoutCredentials(_ location: String) -> String {
        URL(string: location).map(displayString) ?? String(location.prefix(200))
    }

    private static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(300), as: UTF8.self)
        return text.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
    }

    /// Waits until the next request is allowed by the rate limit.
    private func pace() {
        guard let rate = policy.maxRequestsPerSecond, rate > 0 else {
            lock.withLock { _requests += 1 }
            return
        }
        let interval = 1 / rate
        let wait: Double = lock.withLock {
            let now = clock.now()
            let earliest = (lastStart ?? -Double.infinity) + interval
            let start = max(now, earliest)
            lastStart = start
            _requests += 1
            return start - now
        }
        if wait > 0 { clock.sleep(wait) }
    }
}
