import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request as the loopback server read it.
public struct LoopbackRequest: Sendable {
    public var method: String
    /// The request target as sent: path plus query, e.g. `/tx/ab…/hex`.
    public var target: String
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
}

/// One answer. `Connection: close` is always sent: each request gets its own connection, which keeps the
/// server a simple loop.
public struct LoopbackResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    /// Whether to announce the body's length; without it the body ends where the connection closes.
    public var contentLength: Bool

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], contentLength: Bool = true) {
        self.status = status
        self.headers = headers
        self.body = body
        self.contentLength = contentLength
    }

    public static func text(_ s: String, status: Int = 200) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: ["Content-Type": "text/plain"], body: Array(s.utf8))
    }

    public static func json(_ s: String, status: Int = 200) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(s.utf8))
    }

    public static func json(bytes: [UInt8], status: Int = 200) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: ["Content-Type": "application/json"], body: bytes)
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 with an ephemeral port, for tests of Spoor's HTTP clients.
///
/// It binds the loopback address only, serves one connection at a time on its own thread, and stops itself
/// after `idleLimit` seconds without a request or `requestLimit` requests, so a test that forgets to call
/// `stop()` cannot leave it running. POSIX sockets, no dependency.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public typealias Handler = @Sendable (LoopbackRequest) -> LoopbackResponse

    public let port: UInt16
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private let listener: Int32
    private let handler: Handler
    private let idleLimit: Double
    private let requestLimit: Int
    private let lock = NSLock()
    private var stopping = false
    private var served: [LoopbackRequest] = []
    private let finished = DispatchSemaphore(value: 0)

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(idleLimit: Double = 30, requestLimit: Int = 100_000, handler: @escaping Handler) throws {
        self.handler = handler
        self.idleLimit = idleLimit
        self.requestLimit = requestLimit
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw StartError(description: "socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0  // ephemeral
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw StartError(description: "bind/listen on 127.0.0.1 failed: errno \(errno)")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = UInt16(bigEndian: actual.sin_port)
        let thread = Thread { [self] in self.serve() }
        thread.name = "LoopbackHTTPServer:\(port)"
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting and waits (at most two seconds) for the serving thread to finish.
    public func stop() {
        lock.lock()
        let already = stopping
        stopping = true
        lock.unlock()
        if !already { _ = finished.wait(timeout: .now() + 2) }
    }

    /// Every request served so far, in order.
    public var requests: [LoopbackRequest] {
        lock.lock(); defer { lock.unlock() }
        return served
    }

    private var shouldStop: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopping || served.count >= requestLimit
    }

    private func serve() {
        defer {
            close(listener)
            finished.signal()
        }
        var idle = 0.0
        while !shouldStop {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 100)
            if ready <= 0 {
                idle += 0.1
                if idle >= idleLimit { return }
                continue
            }
            idle = 0
            let conn = accept(listener, nil, nil)
            if conn < 0 { continue }
            handle(connection: conn)
            close(conn)
        }
    }

    private func handle(connection fd: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = readRequest(fd) else { return }
        lock.lock()
        served.append(request)
        lock.unlock()
        let response = handler(request)
        writeResponse(response, to: fd)
    }

    private func readRequest(_ fd: Int32) -> LoopbackRequest? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while headerEnd == nil {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
            if buffer.count > 1 << 20 { return nil }
            if let r = firstRange(of: terminator, in: buffer) { headerEnd = r }
        }
        guard let headerEnd else { return nil }
        let head = String(decoding: buffer[0..<headerEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        let bodyStart = headerEnd + 4
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard length >= 0, length < 64 << 20 else { return nil }
        if headers["expect"]?.lowercased() == "100-continue", buffer.count - bodyStart < length {
            let cont = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            _ = cont.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        while buffer.count - bodyStart < length {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
        return LoopbackRequest(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers,
                               body: Array(buffer[bodyStart..<(bodyStart + length)]))
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    private func writeResponse(_ r: LoopbackResponse, to fd: Int32) {
        var head = "HTTP/1.1 \(r.status) \(Self.reason(r.status))\r\n"
        for (k, v) in r.headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        if r.contentLength { head += "Content-Length: \(r.body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        let bytes = Array(head.utf8) + r.body
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { (p: UnsafeRawBufferPointer) -> Int in
                guard let base = p.baseAddress else { return -1 }
                return send(fd, base + sent, p.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            sent += n
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}
