import CCurl
import Foundation

/// One libcurl easy handle: a kept-alive connection that performs one request at a time (the caller
/// serialises). `HTTPTransport` decides what an outcome means; this only moves bytes, within the limits the
/// request sets.
final class CurlConnection {
    struct Request {
        var method: String
        /// Without user:password: credentials travel only in `headers`.
        var url: String
        var headers: [String: String]
        var body: [UInt8]?
        var timeout: Double
        var maxAnswerBytes: Int
    }

    struct Answer {
        var status: Int
        /// Names lower-cased; the last value of a repeated header.
        var headers: [String: String]
        var body: [UInt8]
    }

    enum Outcome {
        case answer(Answer)
        case tooLarge
        case refused
        case badURL
        case failed(String, transient: Bool)
    }

    private let handle: UnsafeMutableRawPointer?

    init() {
        handle = curl_easy_init()
    }

    deinit { curl_easy_cleanup(handle) }

    func perform(_ request: Request) -> Outcome {
        guard let handle else { return .failed("libcurl could not start", transient: false) }
        curl_easy_reset(handle)  // keeps the live connection, forgets the last request's options
        let collector = Collector(limit: request.maxAnswerBytes)
        var lines = curl_slist_append(nil, "Expect:")  // no 100-continue round trip
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            lines = curl_slist_append(lines, "\(name): \(value)")
        }
        defer { curl_slist_free_all(lines) }
        let code: CURLcode = withExtendedLifetime(collector) {
            configure(handle, request, headers: lines, collector: collector)
            guard request.method != "GET" else { return curl_easy_perform(handle) }
            // Always a body pointer for other methods: without one libcurl would read the body from stdin.
            let body = request.body ?? []
            return (body.isEmpty ? [0] : body).withUnsafeBufferPointer { bytes in
                _ = spoor_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                _ = spoor_curl_set_pointer(handle, CURLOPT_POSTFIELDS,
                                           UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                return curl_easy_perform(handle)
            }
        }
        return outcome(code, handle, request, collector)
    }

    private func configure(_ handle: UnsafeMutableRawPointer, _ request: Request,
                           headers: UnsafeMutablePointer<curl_slist>?, collector: Collector) {
        _ = spoor_curl_set_string(handle, CURLOPT_URL, request.url)
        _ = spoor_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = spoor_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = spoor_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = spoor_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        _ = spoor_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeout, 30) * 1000))
        _ = spoor_curl_set_offset(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxAnswerBytes))
        _ = spoor_curl_set_string(handle, CURLOPT_USERAGENT, "spoor")
        _ = spoor_curl_set_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers))
        switch request.method {
        case "GET": _ = spoor_curl_set_long(handle, CURLOPT_HTTPGET, 1)
        case "POST": _ = spoor_curl_set_long(handle, CURLOPT_POST, 1)
        default: _ = spoor_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = spoor_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, collectBody)
        _ = spoor_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = spoor_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, collectHeader)
        _ = spoor_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
    }

    private func outcome(_ code: CURLcode, _ handle: UnsafeMutableRawPointer, _ request: Request,
                         _ collector: Collector) -> Outcome {
        switch code {
        case CURLE_OK:
            var status = 0
            _ = spoor_curl_response_code(handle, &status)
            return .answer(Answer(status: status, headers: collector.headers, body: collector.body))
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge
        case CURLE_WRITE_ERROR where collector.exceeded:
            return .tooLarge
        case CURLE_COULDNT_CONNECT:
            return .refused
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .badURL
        case CURLE_OPERATION_TIMEDOUT:
            return .failed("no complete answer within \(String(format: "%g", request.timeout)) s", transient: true)
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_COULDNT_RESOLVE_HOST:
            return .failed(Self.describe(code), transient: true)
        default:
            return .failed(Self.describe(code), transient: false)
        }
    }

    /// libcurl's fixed text for the code (it never holds the URL).
    private static func describe(_ code: CURLcode) -> String {
        let text = curl_easy_strerror(code).map { String(cString: $0) } ?? "error"
        return "network error: \(text) (curl \(code.rawValue))"
    }

    /// Where the callbacks put what arrives. The body grows only up to `limit`; past it the transfer stops.
    final class Collector {
        let limit: Int
        var body: [UInt8] = []
        var headers: [String: String] = [:]
        var exceeded = false

        init(limit: Int) { self.limit = limit }

        func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard bytes.count <= limit - body.count else {
                exceeded = true
                return false
            }
            body.append(contentsOf: bytes)
            return true
        }

        func header(_ line: String) {
            if line.hasPrefix("HTTP/") {  // a new response (after a 100 Continue): its own headers
                headers = [:]
                return
            }
            guard let colon = line.firstIndex(of: ":") else { return }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            headers[name] = value
            if name == "content-length", let length = Int(value), length > 0, length <= limit {
                body.reserveCapacity(length)  // one allocation, no doubling past the answer's size
            }
        }
    }
}

/// What a libcurl data callback was handed: the collector behind `context` and the bytes.
private func arrived(_ data: UnsafeMutablePointer<CChar>?, _ n: Int, _ context: UnsafeMutableRawPointer?)
    -> (CurlConnection.Collector, UnsafeBufferPointer<UInt8>)? {
    guard let context, let data, n > 0 else { return nil }
    let collector = Unmanaged<CurlConnection.Collector>.fromOpaque(context).takeUnretainedValue()
    return (collector, UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: n))
}

private let collectBody: spoor_curl_data_callback = { data, size, count, context in
    guard let (collector, bytes) = arrived(data, size * count, context) else { return size * count }
    return collector.append(bytes) ? bytes.count : 0
}

private let collectHeader: spoor_curl_data_callback = { data, size, count, context in
    guard let (collector, bytes) = arrived(data, size * count, context) else { return size * count }
    collector.header(String(decoding: bytes, as: UTF8.self))
    return bytes.count
}
