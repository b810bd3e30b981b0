import ArgumentParser
import CaseStore
import Foundation

/// `--json` for machine output; people get text by default.
public struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of text.")
    public var json = false

    public init() {}
}

/// What a command printed, when it ran in-process under `Console.capturing` (tests) instead of writing to the
/// process's standard output and error.
public final class CapturedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    public init() {}

    public var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    public var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    func append(_ data: Data, toError: Bool) {
        lock.withLock { if toError { err.append(data) } else { out.append(data) } }
    }
}

/// Where every command writes: the process's standard output and error, or a `CapturedOutput` when a test runs
/// the command in-process (so `swift test` shows no command output, and tests can read it).
public enum Console {
    @TaskLocal static var capture: CapturedOutput?

    /// Runs `body` with everything it prints through `Console` kept in the returned buffer.
    public static func capturing(_ body: () async throws -> Void) async throws -> CapturedOutput {
        let buffer = CapturedOutput()
        try await $capture.withValue(buffer) { try await body() }
        return buffer
    }

    static func write(_ data: Data) {
        if let capture { capture.append(data, toError: false) } else { FileHandle.standardOutput.write(data) }
    }

    static func writeError(_ data: Data) {
        if let capture { capture.append(data, toError: true) } else { FileHandle.standardError.write(data) }
    }

    /// Progress lines are for a person watching a terminal: not for a pipe, a file or a captured run.
    static var errorIsTerminal: Bool { capture == nil && isatty(STDERR_FILENO) == 1 }
}

/// The commands' `print`: Swift's own, routed through `Console` so that a command run in-process by a test prints
/// into the test's buffer. (Declared in this module, it takes precedence over the standard library's here.)
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Console.write(Data((items.map { "\($0)" }.joined(separator: separator) + terminator).utf8))
}

/// Writes `value` as JSON with sorted keys and a trailing newline, so output is byte-stable.
public func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(Data("\n".utf8))
    Console.write(data)
}

/// Prints a line on standard error (progress, warnings): standard output stays clean for data.
public func printError(_ message: String) {
    Console.writeError(Data((message + "\n").utf8))
}

/// A failure to report to the user: the message is printed as is and the command exits non-zero.
public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A clustering made with another profile is replaced only when asked (`--replace`): reports, evaluate, trace
/// and explain read the stored one, so replacing it silently would change what they say. `spoor cluster` and
/// `spoor import clusters` both check it before writing.
func requireReplaceable(_ database: CaseDatabase, path: String, with profile: String, replace: Bool) throws {
    guard !replace, let stored = try database.read({ db in try ClusterRunStore.state(db) }), stored.profile != profile else { return }
    throw CommandFailure("\(path) holds a clustering made with profile \(stored.profile); pass --replace to "
                         + "replace it with profile \(profile) (reports, evaluate, trace and explain use the stored one)")
}

/// A case folder's files, as `investigate` and `evaluate` both look them up.
enum CaseFolder {
    /// The watchlist: `watchlist.json`, else `watchlist.csv`; nil when neither exists.
    static func watchlist(in folder: URL) -> URL? {
        ["watchlist.json", "watchlist.csv"].map { folder.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
