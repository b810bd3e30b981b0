import ChainSources
import Foundation
import SpoorTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Tag {
    /// Tests that start a real Bitcoin Core node (`SPOOR_BITCOIND`): `swift test --filter NodeIntegrationTests`
    /// runs them alone, `--skip NodeIntegrationTests` leaves them out.
    @Tag static var bitcoind: Self
}

/// A real `bitcoind -regtest` for one test: a temporary datadir under /tmp (removed by `remove()`), free
/// loopback ports, cookie auth, `-blocksxor=1`, RPC logging on (`-debug=rpc`) so tests can count what Spoor
/// asked. Driven through its own JSON-RPC, wallet calls included (through Spoor's HTTP transport, which only
/// moves bytes: the JSON-RPC handling here is this file's own).
final class RegtestNode: @unchecked Sendable {
    /// The binary named by `SPOOR_BITCOIND` (absolute, or relative to the working directory or the
    /// repository), nil when unset.
    static let binary: URL? = {
        guard let given = ProcessInfo.processInfo.environment["SPOOR_BITCOIND"], !given.isEmpty else { return nil }
        let candidates = given.hasPrefix("/") ? [given] : [
            FileManager.default.currentDirectoryPath + "/" + given,
            Fixtures.repositoryRoot.path + "/" + given,
        ]
        return candidates.map { URL(fileURLWithPath: $0).standardizedFileURL }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
            ?? URL(fileURLWithPath: candidates[0])  // a wrong path fails loudly in start(), never skips
    }()

    static let skipMessage = "set SPOOR_BITCOIND to a Bitcoin Core bitcoind (e.g. SPOOR_BITCOIND=../shared/bin/bitcoind "
        + "swift test --filter NodeIntegrationTests) to run the real-node tests"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let datadir: URL
    let rpcPort: Int
    private(set) var arguments: [String]
    private var process: Process?
    private let transport = HTTPTransport(policy: HTTPPolicy(maxAttempts: 1, timeout: 120, maxAnswerBytes: 256 << 20))
    private var nextID = 0

    var url: String { "http://127.0.0.1:\(rpcPort)" }
    var regtestDirectory: URL { datadir.appendingPathComponent("regtest") }
    var cookiePath: String { regtestDirectory.appendingPathComponent(".cookie").path }
    var blocksDirectory: String { regtestDirectory.appendingPathComponent("blocks").path }
    var debugLog: URL { regtestDirectory.appendingPathComponent("debug.log") }
    /// User and password when started with `-rpcuser`/`-rpcpassword` (then Core writes no cookie).
    var userPassword: (String, String)?

    /// Starts a node on a fresh datadir and waits until it answers.
    init(_ extra: [String] = [], label: String = "node") throws {
        guard let binary = Self.binary else { throw Failure(description: Self.skipMessage) }
        datadir = URL(fileURLWithPath: "/tmp").appendingPathComponent("spoor-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: datadir, withIntermediateDirectories: true)
        rpcPort = try Self.freePort()
        let p2pPort = try Self.freePort()
        arguments = ["-regtest", "-datadir=\(datadir.path)", "-server=1", "-listen=0", "-rpcbind=127.0.0.1",
                     "-rpcallowip=127.0.0.1", "-rpcport=\(rpcPort)", "-port=\(p2pPort)", "-fallbackfee=0.0001",
                     "-blocksxor=1", "-debug=rpc", "-printtoconsole=0",
                     // As Core's own functional tests run: wallet writes without fsync (40 ms less per block
                     // here) and a small key pool (createwallet 0.07 s instead of 0.8 s).
                     "-unsafesqlitesync=1", "-keypool=50"] + extra
        for a in extra {
            if a.hasPrefix("-rpcuser=") { userPassword = (String(a.dropFirst(9)), userPassword?.1 ?? "") }
            if a.hasPrefix("-rpcpassword=") { userPassword = (userPassword?.0 ?? "", String(a.dropFirst(13))) }
        }
        _ = binary
        try start()
    }

    /// Starts the process on the datadir (again, after `stop()`) and waits until it answers.
    func start(extra: [String] = [], waitUntilReady: Bool = true) throws {
        guard let binary = Self.binary else { throw Failure(description: Self.skipMessage) }
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments + extra
        let log = datadir.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        process = p
        if waitUntilReady { try waitReady() }
    }

    /// Polls until the node answers a call without -28, or fails with the node's own words.
    func waitReady(seconds: Double = 60) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let p = process, !p.isRunning {
                throw Failure(description: "bitcoind exited (\(p.terminationStatus)) while starting: \(logTail())")
            }
            if (try? call("getblockcount")) != nil { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure(description: "bitcoind did not answer within \(Int(seconds)) s: \(logTail())")
    }

    /// Stops the node through RPC and waits for the process to end.
    func stop() throws {
        guard let p = process else { return }
        _ = try? call("stop")
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        process = nil
    }

    /// Stops the node if it runs and deletes the datadir.
    func remove() {
        try? stop()
        try? FileManager.default.removeItem(at: datadir)
    }

    var isRunning: Bool { process?.isRunning ?? false }

    func logTail() -> String {
        let text = [datadir.appendingPathComponent("stderr.log"), debugLog]
            .compactMap { try? String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
        return String(text.suffix(1500))
    }

    // MARK: RPC

    private var authorization: String? {
        if let (user, password) = userPassword {
            return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        guard let cookie = try? String(contentsOfFile: cookiePath, encoding: .utf8) else { return nil }
        return "Basic " + Data(cookie.trimmingCharacters(in: .whitespacesAndNewlines).utf8).base64EncodedString()
    }

    /// One call; the node's error object becomes a thrown `Failure` with its code and message.
    @discardableResult
    func call(_ method: String, _ params: [Any] = [], wallet: String? = nil) throws -> Any {
        nextID += 1
        let request: [String: Any] = ["jsonrpc": "1.0", "id": nextID, "method": method, "params": params]
        let body = try JSONSerialization.data(withJSONObject: request)
        var headers = ["Content-Type": "application/json"]
        if let authorization { headers["Authorization"] = authorization }
        let path = wallet.map { "/wallet/\($0)" } ?? "/"
        let answer = try transport.send(method: "POST", url: URL(string: url + path)!, headers: headers,
                                        body: [UInt8](body), okStatuses: [404, 500])
        guard let obj = try JSONSerialization.jsonObject(with: Data(answer.body), options: [.fragmentsAllowed])
                as? [String: Any] else {
            throw Failure(description: "\(method): not a JSON-RPC answer")
        }
        if let error = obj["error"] as? [String: Any] {
            throw Failure(description: "\(method) failed: \(error["code"] ?? "?") \(error["message"] ?? "")")
        }
        return obj["result"] ?? NSNull()
    }

    func string(_ method: String, _ params: [Any] = [], wallet: String? = nil) throws -> String {
        guard let s = try call(method, params, wallet: wallet) as? String else {
            throw Failure(description: "\(method) did not answer a string")
        }
        return s
    }

    func object(_ method: String, _ params: [Any] = [], wallet: String? = nil) throws -> [String: Any] {
        guard let o = try call(method, params, wallet: wallet) as? [String: Any] else {
            throw Failure(description: "\(method) did not answer an object")
        }
        return o
    }

    func int(_ method: String, _ params: [Any] = []) throws -> Int {
        guard let n = try call(method, params) as? NSNumber else {
            throw Failure(description: "\(method) did not answer a number")
        }
        return n.intValue
    }

    /// Mines `count` blocks to `address`; their hashes.
    @discardableResult
    func mine(_ count: Int, to address: String) throws -> [String] {
        (try call("generatetoaddress", [count, address]) as? [String]) ?? []
    }

    func blockHash(_ height: Int) throws -> String { try string("getblockhash", [height]) }
    func tipHeight() throws -> Int { try int("getblockcount") }

    /// How many times the debug log shows Spoor's user calling `method` (Core logs every call with
    /// `-debug=rpc`: "ThreadRPCServer method=getblock user=__cookie__").
    func loggedCalls(_ method: String) throws -> Int {
        let text = try String(contentsOf: debugLog, encoding: .utf8)
        return text.components(separatedBy: "ThreadRPCServer method=\(method) ").count - 1
    }

    // MARK: ports

    /// A loopback port nothing listens on now (bound to port 0, read back, closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure(description: "bind() failed") }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: actual.sin_port))
    }
}
