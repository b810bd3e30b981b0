import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
            return "\(url): connection refused\(tries) — is the server running and listening on that port?"
        case .unauthorized(let status):
            return "\(url): HTTP \(status): the server refused the credentials (check the cookie file or "
                + "the user name and password environment variable)"
        case .status(let status):
            return "\(url): HTTP \(status)\(tries)\(said)"
        case .transport(let why):
            return "\(url): \(why)\(tries)"
        case .badURL:
            return "\(url): not an http:// or https:// URL"
        }
    }
}

/// Politeness and persistence for a remote API: how fast to ask, how often and how long to retry.
public struct HTTPPolicy: Sendable {
    /// Requests per second at most; nil for no limit (a local node).
    public var maxRequestsPerSecond: Double?
    /// Attempts per request, including the first.
    public var maxAttempts: Int
    /// Delay before the first retry; doubled each retry up to `maxBackoff`.
    public var initialBackoff: Double
    public var maxBackoff: Double
    /// Seconds to wait for an answer.
    public var timeout: Double

    public init(maxRequestsPerSecond: Double? = nil, maxAttempts: Int = 5, initialBackoff: Double = 0.5,
                maxBackoff: Double = 30, timeout: Double = 120) {
        self.maxRequestsPerSecond = maxRequestsPerSecond
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.timeout = timeout
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

/// A blocking HTTP client over URLSession (libcurl on Linux) with rate limiting and retries with exponential
/// backoff on transient failures (429, 5xx other than 501, dropped connections, timeouts).
///
/// Blocking, because chain sources are pulled one item at a time; one request is in flight at once.
public final class HTTPTransport: @unchecked Sendable {
    public let policy: HTTPPolicy
    private let clock: HTTPClock
    private let session: URLSession
    private let lock = NSLock()
    private var lastStart: Double?
    private var _requests = 0
    private var _retries = 0

    public init(policy: HTTPPolicy = HTTPPolicy(), clock: HTTPClock = .system) {
        self.policy = policy
        self.clock = clock
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = policy.timeout
        config.httpMaximumConnectionsPerHost = 1
        config.urlCache = nil
        config.httpCookieStorage = nil
        session = URLSession(configuration: config)
    }

    deinit { session.finishTasksAndInvalidate() }

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
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw HTTPError(kind: .badURL, url: shown, attempts: 0)
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = policy.timeout
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if let body { request.httpBody = Data(body) }

        var attempt = 0
        var backoff = policy.initialBackoff
        while true {
            attempt += 1
            pace()
            let outcome = perform(request)
            let lastAttempt = attempt >= policy.maxAttempts
            var retryAfter: Double?
            switch outcome {
            case .answer(let status, let bytes, let retryAfterHeader):
                if (200..<300).contains(status) || okStatuses.contains(status) { return (status, bytes) }
                if status == 401 || status == 403 {
                    throw HTTPError(kind: .unauthorized(status: status), url: shown, attempts: attempt)
                }
                let transient = status == 429 || status == 408 || (status >= 500 && status != 501)
                if !transient || lastAttempt {
                    throw HTTPError(kind: .status(status), url: shown, attempts: attempt,
                                    bodyExcerpt: Self.excerpt(bytes))
                }
                retryAfter = retryAfterHeader
            case .refused:
                throw HTTPError(kind: .connectionRefused, url: shown, attempts: attempt)
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

    private enum Outcome {
        case answer(status: Int, body: [UInt8], retryAfter: Double?)
        case refused
        case failed(String, transient: Bool)
    }

    private final class Box: @unchecked Sendable {
        var data: Data?
        var response: URLResponse?
        var error: (any Error)?
    }

    private func perform(_ request: URLRequest) -> Outcome {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            box.data = data
            box.response = response
            box.error = error
            done.signal()
        }
        task.resume()
        done.wait()
        if let error = box.error {
            let code = (error as? URLError)?.code
            switch code {
            case .cannotConnectToHost?:
                return .refused
            case .timedOut?:
                return .failed("no answer within \(Int(policy.timeout)) s", transient: true)
            case .networkConnectionLost?, .notConnectedToInternet?, .dnsLookupFailed?, .cannotFindHost?,
                 .badServerResponse?, .zeroByteResource?:
                return .failed(Self.describe(error), transient: true)
            default:
                return .failed(Self.describe(error), transient: false)
            }
        }
        guard let http = box.response as? HTTPURLResponse else {
            return .failed("the answer was not HTTP", transient: false)
        }
        let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap { Double($0) }
        return .answer(status: http.statusCode, body: [UInt8](box.data ?? Data()), retryAfter: retryAfter)
    }

    /// An error's text without the URL URLSession puts in it (which may carry a password).
    private static func describe(_ error: any Error) -> String {
        if let u = error as? URLError { return "network error (URLError code \(u.code.rawValue))" }
        return "network error"
    }
}
