import Foundation

/// Paths to the test data that ships with the repository (never `../shared`: tests run on a bare clone).
public enum Fixtures {
    /// `Tests/Fixtures`.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The repository's top folder.
    public static let repositoryRoot: URL = root.deletingLastPathComponent().deletingLastPathComponent()

    /// `SampleChains/`.
    public static let sampleChains: URL = repositoryRoot.appendingPathComponent("SampleChains")

    public static func url(_ relativePath: String) -> URL { root.appendingPathComponent(relativePath) }

    public static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath)))
    }

    public static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// A fresh temporary directory for one test. Every one lives under this process's own scratch folder
    /// (`TMPDIR/spoor-tests-PID`), which is removed when the process exits; folders left by a test process that
    /// died are swept by the next one. A test may remove its folder earlier; it need not.
    public static func temporaryDirectory(_ label: String = "spoor") throws -> URL {
        let dir = TestScratch.root.appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Which tests run. A plain local `swift test` leaves out the slow ones (whole sample chains, every policy
/// combination) so that it answers in about a minute; CI sets `SPOOR_ALL_TESTS=1` and runs every test. Mark a
/// slow test or suite with `.enabled(if: TestRun.all, TestRun.slow)`.
public enum TestRun {
    public static let all = ProcessInfo.processInfo.environment["SPOOR_ALL_TESTS"] == "1"
    /// Why a slow test was skipped, as swift-testing shows it.
    public static let slow = "slow: runs with SPOOR_ALL_TESTS=1 (as CI does)"
}

/// The one scratch folder of a test process: created on first use, removed at exit.
public enum TestScratch {
    static let prefix = "spoor-tests-"

    public static let root: URL = {
        let fm = FileManager.default
        let base = fm.temporaryDirectory
        sweepAbandoned(in: base)
        let root = base.appendingPathComponent("\(prefix)\(getpid())", isDirectory: true)
        try? fm.removeItem(at: root)  // a reused pid's leftovers
        try? fm.createDirectory(at: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestScratch.root) }
        return root
    }()

    /// Removes the scratch folders of test processes that are no longer running (killed, crashed).
    static func sweepAbandoned(in base: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: base.path)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? fm.removeItem(at: base.appendingPathComponent(name)) }
        }
    }
}

/// The project's one seeded RNG (SplitMix64): property tests (print the seed so a failure can be replayed) and the
/// benchmarks' generated chains (the same chain on every machine for the same seed).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A property test's seed: `SPOOR_SEED` when set (to replay a failure), else a fresh one. Printed either way,
    /// with the command that replays it.
    public static func testSeed(_ test: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["SPOOR_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        print("\(test) seed \(seed) (replay: SPOOR_SEED=\(seed) swift test --filter \(test))")
        return seed
    }
}
