import Foundation
import SpoorTestSupport
import Testing

/// `spoor` installed as a user would: the binary copied alone into a folder, run from another folder, with the
/// source tree out of reach (a private mount namespace lays an empty folder over the repository when the
/// machine allows it, as on CI, which runs as root). Profiles and the report schema must travel inside it.
@Suite struct InstalledBinaryTests {
    struct Install {
        var bin: URL
        var work: URL
        /// When set, `unshare` with these flags hides the repository: every run goes through it.
        var unshareFlags: [String]?
        var hidesSourceTree: Bool { unshareFlags != nil }

        /// Runs the installed `spoor ARGS` (or, with `command`, the command line `ARGS` itself) from `work`.
        func run(_ arguments: [String], environment: [String: String] = [:], command: Bool = false) throws -> ChildRun {
            let line = command ? arguments : [bin.path] + arguments
            guard let unshareFlags else {
                return try ChildRun.run(URL(fileURLWithPath: line[0]), Array(line.dropFirst()),
                                        environment: environment, directory: work)
            }
            let script = "mount -t tmpfs spoor-hidden \"$1\" && shift && exec \"$@\""
            return try ChildRun.run(URL(fileURLWithPath: "/usr/bin/unshare"),
                                    unshareFlags + ["sh", "-c", script, "sh", Fixtures.repositoryRoot.path] + line,
                                    environment: environment, directory: work)
        }
    }

    /// The binary (the debug build unless given) and the sample chain copied into a scratch folder; nil when
    /// `spoor` is not built.
    static func install(_ binary: URL? = ChildRun.spoor) throws -> Install? {
        guard let built = binary else { return nil }
        let root = try Fixtures.temporaryDirectory("installed")
        let bin = root.appendingPathComponent("bin/spoor"), work = root.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: bin.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: built, to: bin)
        try FileManager.default.copyItem(at: Fixtures.sampleChains.appendingPathComponent("small-seed1"),
                                         to: root.appendingPathComponent("sample"))
        var install = Install(bin: bin, work: work, unshareFlags: nil)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") {
            // As root a mount namespace is enough; otherwise a user namespace maps us to root inside it.
            for flags in [["--mount"], ["--user", "--map-root-user", "--mount"]] {
                install.unshareFlags = flags
                // The repository must look empty through the mount, or the check proves nothing.
                let look = try install.run(["/bin/sh", "-c", "test -z \"$(ls -A \"$0\")\"", Fixtures.repositoryRoot.path],
                                           command: true)
                if look.status == 0 { return install }
            }
            install.unshareFlags = nil
        }
        return install
    }

    @Test func aCopiedBinaryInvestigatesTheSampleWithTheSourceTreeOutOfReach() throws {
        try investigateWithTheSourceTreeOutOfReach(try #require(try Self.install(), "spoor is not built"))
    }

    /// What a user installs: the release build (`.ci/run` builds it before the tests; slow to build, so only with
    /// SPOOR_ALL_TESTS=1, where its absence is a failure, not a skip).
    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow)))
    func aCopiedReleaseBinaryInvestigatesTheSampleWithTheSourceTreeOutOfReach() throws {
        let release = try #require(ChildRun.releaseSpoor, "no release build: swift build -c release --product spoor")
        try investigateWithTheSourceTreeOutOfReach(try #require(try Self.install(release)))
    }

    func investigateWithTheSourceTreeOutOfReach(_ install: Install) throws {
        let home = install.work.appendingPathComponent("home").path
        let environment = ["HOME": home, "XDG_CONFIG_HOME": home + "/.config"]
        let run = try install.run(["investigate", "../sample/blocks", "--case", "../sample/case", "--out", "out",
                                   "--profile", "change", "--json"], environment: environment)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(summary?["ads_matched"] as? Int == 96)
        let report = install.work.appendingPathComponent("out/report.json")
        let manifest = (try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])?["manifest"] as? [String: Any]
        #expect((manifest?["profile"] as? [String: Any])?["id"] as? String == "change")

        let schema = try install.run(["report", "--print-schema"], environment: environment)
        #expect(schema.status == 0, "\(schema)")
        #expect(schema.stdout.contains("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\""))
        if !install.hidesSourceTree { Issue.record("unshare could not hide the source tree; ran from another folder only") }
    }

    @Test func userProfilesComeFromTheConfigFolderAndNeverShadowAShippedName() throws {
        let install = try #require(try Self.install(), "spoor is not built")
        let config = install.work.appendingPathComponent("config")
        let profiles = config.appendingPathComponent("spoor/profiles")
        try FileManager.default.createDirectory(at: profiles, withIntermediateDirectories: true)
        let mine = #"{"id": "mine", "version": 1, "description": "common-input only", "cospend": ["cospend.multi-input"], "exclude": ["exclude.coinbase"]}"#
        try Data(mine.utf8).write(to: profiles.appendingPathComponent("mine.json"))
        let environment = ["XDG_CONFIG_HOME": config.path]
        _ = try install.run(["ingest", "../sample/blocks", "--db", "case.sqlite", "--quiet"], environment: environment)
        let run = try install.run(["cluster", "--db", "case.sqlite", "--profile", "mine", "--json"], environment: environment)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("\"profile\" : \"mine\""), "\(run.stdout.prefix(400))")

        try Data(mine.replacingOccurrences(of: "\"mine\"", with: "\"change\"").utf8)
            .write(to: profiles.appendingPathComponent("change.yaml"))
        let shadow = try install.run(["cluster", "--db", "case.sqlite", "--profile", "change"], environment: environment)
        #expect(shadow.status == 1)
        #expect(shadow.stderr.contains("may not take the name of the shipped profile change"), "\(shadow)")

        let unknown = try install.run(["cluster", "--db", "case.sqlite", "--profile", "nosuch"], environment: environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("not a shipped profile ("), "\(unknown)")
    }
}
