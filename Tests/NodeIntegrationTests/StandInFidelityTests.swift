import ChainSources
import Foundation
import SpoorTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The loopback stand-in (`FakeNodeRPC`) against the real node it imitates: the same requests to both, serving
/// the same chain, must get the same status, the same `WWW-Authenticate` and the same JSON. Every unit test of
/// the RPC path trusts the stand-in; this keeps it honest.
@Suite(.tags(.bitcoind), .enabled(if: RegtestNode.binary != nil, Comment(rawValue: RegtestNode.skipMessage)))
struct StandInFidelityTests {
    struct Answer: Equatable, CustomStringConvertible {
        var status: Int
        /// The headers a client acts on (`WWW-Authenticate`, `Content-Type`), names lower-cased.
        var headers: [String: String]
        var json: NSObject?

        var description: String {
            "HTTP \(status) \(headers) \(json.map { "\($0)" }?.prefix(400) ?? "(not JSON)")"
        }
    }

    /// One request over a plain socket (`Connection: close`), so that status and headers are seen as sent.
    static func ask(_ port: Int, _ body: String, authorization: String?) throws -> Answer {
        var head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        if let authorization { head += "Authorization: \(authorization)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let raw = try RawHTTP.exchange(port: port, request: Array((head + body).utf8))
        let text = String(decoding: raw, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let lines = parts[0].components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            if name == "www-authenticate" || name == "content-type" {
                headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let payload = parts.dropFirst().joined(separator: "\r\n\r\n")
        let json = try? JSONSerialization.jsonObject(with: Data(payload.utf8), options: [.fragmentsAllowed])
        return Answer(status: status, headers: headers, json: json as? NSObject)
    }

    /// Every `getblock … 3` answer of the node, as text, heights 0…tip.
    static func lines(_ node: RegtestNode) throws -> [[UInt8]] {
        let cookie = try String(contentsOfFile: node.cookiePath, encoding: .utf8)
        let auth = "Basic " + Data(cookie.utf8).base64EncodedString()
        let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 1, maxAnswerBytes: 64 << 20))
        return try (0...node.tipHeight()).map { h in
            let body = #"{"jsonrpc":"1.0","id":0,"method":"getblock","params":["\#(try node.blockHash(h))",3]}"#
            let answer = try transport.send(method: "POST", url: URL(string: node.url + "/")!,
                                            headers: ["Authorization": auth], body: Array(body.utf8))
            let text = String(decoding: answer.body, as: UTF8.self)
            // {"result":{…},"error":null,"id":0}: the object between the first '{' after "result": and ',"error"'.
            let start = try #require(text.range(of: #""result":"#)).upperBound
            let end = try #require(text.range(of: #","error":null"#, options: .backwards)).lowerBound
            return Array(text[start..<end].utf8)
        }
    }

    @Test func theStandInAnswersAsTheNodeDoes() throws {
        let node = try RegtestNode(label: "fidelity")
        defer { node.remove() }
        _ = try WalletActivity.build(on: node)
        let fake = try FakeNodeRPC(lines: try Self.lines(node))
        defer { fake.stop() }
        let cookie = try String(contentsOfFile: node.cookiePath, encoding: .utf8)
        let auth = "Basic " + Data(cookie.utf8).base64EncodedString()
        let tip = try node.tipHeight()
        let hash = try node.blockHash(tip - 2)

        let requests: [(String, String)] = [
            ("batch getblockhash in and out of range",
             #"[{"jsonrpc":"1.0","id":1,"method":"getblockhash","params":[0]},{"jsonrpc":"1.0","id":2,"method":"getblockhash","params":[\#(tip)]},{"jsonrpc":"1.0","id":3,"method":"getblockhash","params":[\#(tip + 1)]}]"#),
            ("batch getblock 3 and 2",
             #"[{"jsonrpc":"1.0","id":4,"method":"getblock","params":["\#(hash)",3]},{"jsonrpc":"1.0","id":5,"method":"getblock","params":["\#(hash)",2]}]"#),
            ("batch getblock of an unknown hash",
             #"[{"jsonrpc":"1.0","id":6,"method":"getblock","params":["\#(String(repeating: "ab", count: 32))",3]}]"#),
            ("single getblockhash out of range", #"{"jsonrpc":"1.0","id":7,"method":"getblockhash","params":[\#(tip + 5)]}"#),
            ("single unknown method", #"{"jsonrpc":"1.0","id":8,"method":"nosuchmethod","params":[]}"#),
            ("single getblockcount", #"{"jsonrpc":"1.0","id":9,"method":"getblockcount","params":[]}"#),
            ("empty batch", "[]"),
            ("not JSON", "this is not json"),
        ]
        for (what, body) in requests {
            let real = try Self.ask(node.rpcPort, body, authorization: auth)
            let standIn = try Self.ask(Int(fake.server.port), body, authorization: nil)
            #expect(real == standIn, "\(what):\n node:     \(real)\n stand-in: \(standIn)")
        }

        // getblockchaininfo: the stand-in states a subset; where it states a field, the node agrees.
        let info = #"[{"jsonrpc":"1.0","id":10,"method":"getblockchaininfo","params":[]}]"#
        let realInfo = try Self.ask(node.rpcPort, info, authorization: auth).json as? [[String: Any]]
        let fakeInfo = try Self.ask(Int(fake.server.port), info, authorization: nil).json as? [[String: Any]]
        let realResult = try #require(realInfo?.first?["result"] as? [String: Any])
        let fakeResult = try #require(fakeInfo?.first?["result"] as? [String: Any])
        for (key, value) in fakeResult {
            #expect((realResult[key] as? NSObject) == (value as? NSObject), "getblockchaininfo.\(key)")
        }

        // A wrong password: both refuse with Core's challenge.
        var options = FakeNodeRPC.Options()
        options.credentials = ("__cookie__", "right")
        let guarded = try FakeNodeRPC(lines: Array(try Self.lines(node).prefix(2)), options: options)
        defer { guarded.stop() }
        let wrong = "Basic " + Data("__cookie__:wrong".utf8).base64EncodedString()
        let realRefusal = try Self.ask(node.rpcPort, info, authorization: wrong)
        #expect(realRefusal.status == 401)
        #expect(realRefusal == (try Self.ask(Int(guarded.server.port), info, authorization: wrong)))
    }
}

/// A blocking loopback HTTP exchange on a POSIX socket: the request bytes out, everything until close back.
enum RawHTTP {
    static func exchange(port: Int, request: [UInt8]) throws -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RegtestNode.Failure(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw RegtestNode.Failure(description: "connect to port \(port) failed") }
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw RegtestNode.Failure(description: "send failed") }
            sent += n
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return out
    }
}
