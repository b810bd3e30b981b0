import Foundation

/// A program run as a child process with a deadline, its output read while it runs.
public struct ChildRun: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var seconds: Double
    /// The deadline passed and the child was terminated.
    public var timedOut: Bool

    public var description: String {
        "exit \(status)\(timedOut ? " (killed at the deadline)" : "") after \(String(format: "%.2f", seconds)) s; "
            + "stderr: \(stderr)"
    }

    /// Runs `executable ARGS` with `environment` added to this process's (in `directory` when given);
    /// terminated after `timeout` seconds.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                           directory: URL? = nil, timeout: Double = 120) throws -> ChildRun {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let started = Date()
        try p.run()
        // Read both pipes while the child runs (a full pipe would block it).
        let boxes = [ResultBox<Data>(), ResultBox<Data>()]
        let readers = DispatchGroup()
        for (pipe, box) in zip([out, err], boxes) {
            readers.enter()
            Thread {
                box.result = .success(pipe.fileHandleForReading.readDataToEndOfFile())
                readers.leave()
            }.start()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let timedOut = p.isRunning
        if timedOut { p.terminate() }
        p.waitUntilExit()
        readers.wait()
        func text(_ box: ResultBox<Data>) -> String { String(decoding: (try? box.result?.get()) ?? Data(), as: UTF8.self) }
        return ChildRun(status: p.terminationStatus, stdout: text(boxes[0]), stderr: text(boxes[1]),
                        seconds: Date().timeIntervalSince(started), timedOut: timedOut)
    }

    /// The `spoor` executable next to the test bundle or in `.build/debug`, nil when it is not built.
    public static var spoor: URL? {
        [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("spoor"),
         Fixtures.repositoryRoot.appendingPathComponent(".build/debug/spoor")]
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// The release build, `.build/release/spoor` (`swift build -c release --product spoor`, as `.ci/run` makes it
    /// before the tests), nil when it is not built.
    public static var releaseSpoor: URL? {
        let url = Fixtures.repositoryRoot.appendingPathComponent(".build/release/spoor")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }
}
