import Clustering
import Foundation
import SpoorTestSupport
import Testing

/// The real `spoor` executable, as a user runs it: standard output, standard error and exit codes. Exit codes
/// follow swift-argument-parser: 0 success, 1 a failure the command reports (`Error: …` on stderr, nothing on
/// stdout), 64 a usage error (the command line itself is wrong: the message and a usage line).
@Suite(.serialized) struct CommandLineTests {
    /// The sample chain ingested and clustered with the `change` profile by the binary, once per test.
    static func clusteredCase() throws -> (spoor: URL, db: String)? {
        guard let spoor = ChildRun.spoor else { return nil }
        let db = try Fixtures.temporaryDirectory("cli").appendingPathComponent("case.sqlite").path
        let blocks = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks").path
        let ingest = try ChildRun.run(spoor, ["ingest", blocks, "--db", db, "--quiet"])
        #expect(ingest.status == 0 && ingest.stderr.isEmpty, "\(ingest)")
        let cluster = try ChildRun.run(spoor, ["cluster", "--db", db, "--profile", "change", "--json"])
        #expect(cluster.status == 0, "\(cluster)")
        return (spoor, db)
    }

    /// `ingest` writes each batch of a bulk load on a second thread unless `--single-thread` is given; the exports
    /// of the two databases are the same bytes.
    @Test func ingestWritesOnASecondThreadUnlessToldNotTo() throws {
        let spoor = try #require(ChildRun.spoor, "spoor is not built")
        let dir = try Fixtures.temporaryDirectory("threads")
        let blocks = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks").path
        var writerBatches: [Int] = []
        var exports: [[Data]] = []
        for (name, flags) in [("two", [String]()), ("one", ["--single-thread"])] {
            let db = dir.appendingPathComponent("\(name).sqlite").path
            let ingest = try ChildRun.run(spoor, ["ingest", blocks, "--db", db, "--json", "--batch-blocks", "50"] + flags)
            #expect(ingest.status == 0, "\(ingest)")
            let summary = try JSONSerialization.jsonObject(with: Data(ingest.stdout.utf8)) as? [String: Any]
            let timing = summary?["cpu_timing"] as? [String: Any]
            writerBatches.append(try #require(timing?["writer_thread_batches"] as? Int, "\(ingest.stdout)"))
            let out = dir.appendingPathComponent("\(name)-etl")
            let export = try ChildRun.run(spoor, ["export", "--db", db, "--out", out.path])
            #expect(export.status == 0, "\(export)")
            exports.append(try ["blocks.json", "transactions.json"].map {
                try Data(contentsOf: out.appendingPathComponent($0))
            })
        }
        // small-seed1 has 337 blocks: 7 batches of up to 50, each handed to the writer thread.
        #expect(writerBatches == [7, 0], "writer-thread batches (default, --single-thread)")
        #expect(exports[0] == exports[1] && !exports[0][1].isEmpty)
    }

    @Test func anotherProfileReplacesTheStoredClusteringOnlyWhenAsked() throws {
        let (spoor, db) = try #require(try Self.clusteredCase(), "spoor is not built")
        let refused = try ChildRun.run(spoor, ["cluster", "--db", db, "--profile", "default"])
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr == "Error: \(db) holds a clustering made with profile change; pass --replace to replace it "
                + "with profile default (reports, evaluate, trace and explain use the stored one)\n", "\(refused)")
        let again = try ChildRun.run(spoor, ["cluster", "--db", db, "--profile", "change"])
        #expect(again.status == 0 && again.stdout.hasPrefix("profile       change "), "\(again)")
        let replaced = try ChildRun.run(spoor, ["cluster", "--db", db, "--profile", "default", "--replace", "--json"])
        #expect(replaced.status == 0, "\(replaced)")
        let summary = try JSONSerialization.jsonObject(with: Data(replaced.stdout.utf8)) as? [String: Any]
        #expect(summary?["profile"] as? String == "default")
        #expect(summary?["incremental"] as? Bool == false)
    }

    @Test func explainPicksTwoLinkedAddressesWithSample() throws {
        let (spoor, db) = try #require(try Self.clusteredCase(), "spoor is not built")
        let run = try ChildRun.run(spoor, ["explain", "--sample", "--db", db, "--json"])
        #expect(run.status == 0, "\(run)")
        let e = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(e?["linked"] as? Bool == true)
        #expect(e?["profile"] as? String == "change")
        #expect((e?["chain"] as? [Any])?.isEmpty == false)
        // The same pair given by hand explains alike.
        let a = try #require(e?["a"] as? String), b = try #require(e?["b"] as? String)
        let byHand = try ChildRun.run(spoor, ["explain", a, b, "--db", db, "--json"])
        #expect(byHand.stdout == run.stdout)
    }

    /// small-seed1's PayJoin in which the site spent one of its coins to receive advertiser_7's payment: the
    /// `change` profile joins the two inputs; with `guard.roles` on and the case's watchlist, `explain` shows the
    /// refusal and its reason.
    @Test func theRoleGuardKeepsTheSitePayJoinApartAndExplainSaysWhy() throws {
        let (spoor, db) = try #require(try Self.clusteredCase(), "spoor is not built")
        let payjoin = "570e3c185ba34b790f901be6984ebf37bde93db711fd9866c0f23dadf3f861aa"
        let tx = try ChildRun.run(spoor, ["tx", payjoin, "--db", db, "--json"])
        let inputs = (try JSONSerialization.jsonObject(with: Data(tx.stdout.utf8)) as? [String: Any])?["inputs"] as? [[String: Any]]
        let addresses = try #require(inputs?.compactMap { $0["address"] as? String }, "\(tx)")
        try #require(addresses.count == 2)
        let joined = try ChildRun.run(spoor, ["explain", addresses[0], addresses[1], "--db", db])
        #expect(joined.stdout.contains(" are in one cluster"), "without the guard the PayJoin joins payer and site: \(joined)")

        let dir = URL(fileURLWithPath: db).deletingLastPathComponent()
        var profile = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.repositoryRoot
            .appendingPathComponent("Heuristics/profiles/change.json"))) as? [String: Any])
        var guards = profile["guards"] as? [String: Any] ?? [:]
        guards["roles"] = true
        profile["guards"] = guards
        let file = dir.appendingPathComponent("change-roles.json")
        try JSONSerialization.data(withJSONObject: profile).write(to: file)
        let watchlist = Fixtures.sampleChains.appendingPathComponent("small-seed1/case/watchlist.json").path
        let cluster = try ChildRun.run(spoor, ["cluster", "--db", db, "--profile", file.path, "--watchlist", watchlist, "--json"])
        #expect(cluster.status == 0, "\(cluster)")
        let refusals = (try JSONSerialization.jsonObject(with: Data(cluster.stdout.utf8)) as? [String: Any])?["guard_refusals"]
        #expect(((refusals as? [String: Any])?[HeuristicRegistry.roleGuard.rawValue] as? Int ?? 0) >= 1, "\(cluster)")
        let apart = try ChildRun.run(spoor, ["explain", addresses[0], addresses[1], "--db", db])
        #expect(apart.status == 0, "\(apart)")
        #expect(apart.stdout.contains("are not linked") && apart.stdout.contains("tx \(payjoin)"), "\(apart)")
        #expect(apart.stdout.contains("refused: one side receives the site's payments, the other pays them"), "\(apart)")
    }

    @Test func reportTraceAndMatchAdsSayWhichClusteringTheyRead() throws {
        let (spoor, db) = try #require(try Self.clusteredCase(), "spoor is not built")
        let folder = Fixtures.sampleChains.appendingPathComponent("small-seed1/case").path
        let out = URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("report.json").path
        let watchlist = folder + "/watchlist.json", ads = folder + "/ads.csv", rates = folder + "/rates.csv"
        for arguments in [["report", "--out", out, "--ads", ads, "--rates", rates, "--watchlist", watchlist],
                          ["trace", "--watchlist", watchlist], ["match-ads", "--ads", ads, "--rates", rates, "--site", watchlist]] {
            let run = try ChildRun.run(spoor, arguments + ["--db", db])
            #expect(run.status == 0, "\(run)")
            let first = run.stdout.prefix { $0 != "\n" }
            #expect(first.hasPrefix("clustering: the case's stored one, profile change (sha256 "), "\(run)")
            #expect(first.contains("…), stored 20") && first.contains(", up to height "), "\(run)")
        }
        for arguments in [["trace", "--watchlist", watchlist], ["match-ads", "--ads", ads, "--rates", rates, "--site", watchlist]] {
            let run = try ChildRun.run(spoor, arguments + ["--db", db, "--json"])
            let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            let clustering = json?["clustering"] as? [String: Any]
            #expect(clustering?["profile"] as? String == "change", "\(run)")
            #expect((clustering?["profile_sha256"] as? String)?.count == 64, "\(run)")
            #expect((clustering?["stored_at"] as? String)?.hasPrefix("20") == true, "\(run)")
        }
    }

    /// A word for sh -c, quoted.
    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// On a terminal, `ingest` and `cluster` draw progress on standard error, with an estimate where the work knows
    /// its size; their `--json` on standard output stays plain JSON. (Without a terminal they draw nothing: every
    /// other test here sees an empty standard error.)
    @Test func progressOnATerminalOnlyAndNeverInTheJSON() throws {
        let spoor = try #require(ChildRun.spoor, "spoor is not built")
        let dir = try Fixtures.temporaryDirectory("tty")
        let db = dir.appendingPathComponent("case.sqlite").path
        let ingested = dir.appendingPathComponent("ingest.json").path, clustered = dir.appendingPathComponent("cluster.json").path
        let blocks = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks").path
        let line = "\(Self.quoted(spoor.path)) ingest \(Self.quoted(blocks)) --db \(Self.quoted(db)) --json > \(Self.quoted(ingested)) && "
            + "\(Self.quoted(spoor.path)) cluster --db \(Self.quoted(db)) --profile change --json > \(Self.quoted(clustered))"
        // script(1) runs the line on a pseudo-terminal: standard error is the terminal, standard output the files.
        let run = try ChildRun.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", line, "/dev/null"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("blocks, height ") && run.stdout.contains("%, about "), "\(run)")
        #expect(run.stdout.contains("\rreading the chain") && run.stdout.contains("\rwriting the clusters"), "\(run)")
        #expect(run.stdout.contains("\rclustering: 0 of 2470 transactions"), "the change profile walks the chain index")
        for file in [ingested, clustered] {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect((try? JSONSerialization.jsonObject(with: data)) is [String: Any], "\(file)")
            #expect(!data.contains(UInt8(ascii: "\r")))
        }
    }

    /// `fetch` too, against the loopback Esplora: each hop's line on the terminal, its `--json` plain.
    @Test func fetchProgressOnATerminalOnly() throws {
        let spoor = try #require(ChildRun.spoor, "spoor is not built")
        let esplora = try FakeEsplora(lines: try FetchCommandTests.lines.get())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let dir = try Fixtures.temporaryDirectory("tty-fetch")
        let db = dir.appendingPathComponent("case.sqlite").path, fetched = dir.appendingPathComponent("fetch.json").path
        let line = "\(Self.quoted(spoor.path)) fetch --esplora \(Self.quoted(esplora.url)) \(address) --hops 1 --rate 1000 "
            + "--db \(Self.quoted(db)) --json > \(Self.quoted(fetched))"
        let run = try ChildRun.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", line, "/dev/null"])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("\rlisting addresses: 0 of 1") && run.stdout.contains("\rhop 1 of 1: 0 of "), "\(run)")
        let data = try Data(contentsOf: URL(fileURLWithPath: fetched))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(json?["transactions_stored"] as? Int == esplora.neighbourhood(of: address, hops: 1).count)
        #expect(!data.contains(UInt8(ascii: "\r")))
    }

    @Test func usageErrorsExit64WithTheReason() throws {
        let spoor = try #require(ChildRun.spoor, "spoor is not built")
        let one = try ChildRun.run(spoor, ["explain", "bcrt1qonlyone"])
        #expect(one.status == 64)
        #expect(one.stdout.isEmpty)
        #expect(one.stderr.hasPrefix("Error: give two addresses, or --sample\n"), "\(one)")
        let both = try ChildRun.run(spoor, ["explain", "a", "b", "--sample"])
        #expect(both.status == 64 && both.stderr.hasPrefix("Error: give two addresses or --sample, not both\n"), "\(both)")
    }
}
