import CaseStore
import Clustering
import Foundation
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// The Swift halves of clustering on Spark: `spoor cluster map` (per partition, any order, any chunking) gives
/// what a local run decides, and `spoor import clusters` loads a result into a case exactly as a local run
/// stores it, refusing results that do not fit. The PySpark job itself runs in CI's Spark step (.ci/spark).
@Suite(.serialized) struct SparkPathTests {
    struct Link: Hashable { var position: [Int64]; var txid: String; var a: String; var b: String; var ids: String }

    /// Local run, export, and the mapper over the export's lines reversed in chunks of 300.
    func prepare(_ label: String) async throws -> (dir: URL, local: String, mapped: [[Substring]]) {
        let dir = try Fixtures.temporaryDirectory(label)
        let local = dir.appendingPathComponent("local.sqlite").path
        try await runSpoor(["ingest", Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks").path, "--db", local, "--quiet"])
        try await runSpoor(["export", "--db", local, "--out", dir.appendingPathComponent("etl").path])
        try FileManager.default.copyItem(atPath: local, toPath: dir.appendingPathComponent("empty.sqlite").path)
        try await runSpoor(["cluster", "--db", local, "--profile", "default", "--json"])
        let lines = try String(contentsOf: dir.appendingPathComponent("etl/transactions.json"), encoding: .utf8).split(separator: "\n")
        let shuffled = dir.appendingPathComponent("reversed.json")
        try Data((lines.reversed().joined(separator: "\n") + "\n").utf8).write(to: shuffled)
        let spoor = try #require(ChildRun.spoor, "build the spoor executable first (swift build)")
        let run = try ChildRun.run(spoor, ["cluster", "map", "--chunk", "300", "--network", "regtest", shuffled.path])
        #expect(run.status == 0, "\(run)")
        return (dir, local, run.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) })
    }

    @Test func mapperDecidesWhatTheLocalRunDecidesAndImportStoresTheSame() async throws {
        let (dir, local, records) = try await prepare("spark-map")
        #expect(records.filter { $0[0] == "transactions" }.reduce(0) { $0 + Int($1[1])! } == 2470)
        #expect(records.filter { $0[0] == "transactions" }.count == 9)  // 2,470 lines in chunks of 300
        // Address order: the smallest (height, position, vout) of each address's first outputs is the case's id order.
        var first: [String: [Int64]] = [:]
        for r in records where r[0] == "first" {
            let at = r[2...4].map { Int64($0)! }
            if first[String(r[1])].map({ at.lexicographicallyPrecedes($0) }) ?? true { first[String(r[1])] = at }
        }
        let database = try CaseDatabase(path: local, mode: .readOnly)
        var ids: [String: UInt32] = [:]
        try database.read { db in
            let addresses = try ClusterRunStore.addressesInIDOrder(db)
            while let (id, text) = try addresses.next() { ids[text] = id }
        }
        let ranked = first.keys.sorted { first[$0]!.lexicographicallyPrecedes(first[$1]!) }
        #expect(ranked.map { ids[$0]! } == (1...UInt32(ids.count)).map { $0 })
        // The chunks' merges walked in chain order keep exactly the local evidence.
        func links(_ kind: Substring) -> [Link] {
            records.filter { $0[0] == kind }.map { Link(position: $0[1...3].map { Int64($0)! }, txid: String($0[4]), a: String($0[5]),
                                                       b: String($0[6]), ids: String($0[7])) }
                .sorted { $0.position.lexicographicallyPrecedes($1.position) }
        }
        var uf = UnionFind(count: ids.count + 1)
        let kept = links("merge").filter { uf.union(ids[$0.a]!, ids[$0.b]!) }
        var localMerges: [String] = []
        try database.read { db in try ClusterStore.forEachMerge(db) { a, b, txid, mask in localMerges.append("\(txid)\t\(a)\t\(b)\t\(mask)") } }
        func mask(_ list: String) -> UInt32 { list.split(separator: ",").reduce(0) { $0 | 1 << UInt32(HeuristicRegistry.bit(of: HeuristicID(String($1)))!) } }
        #expect(kept.map { "\($0.txid)\t\($0.a)\t\($0.b)\t\(mask($0.ids))" } == localMerges)
        #expect(links("merge").count > kept.count)  // chunks do keep links another chunk makes redundant
        #expect(links("stop").count == 10)
        #expect(records.filter { $0[0] == "exclude" }.count == 340)

        // The job's output, made here from the same records, imported into the case without a clustering.
        let out = dir.appendingPathComponent("out")
        var roots = uf.roots()
        for name in ["clusters", "merges", "stops"] {
            try FileManager.default.createDirectory(at: out.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        let clusterLines = ranked.map { "\($0),\(roots[Int(ids[$0]!)])" }
        try Data((clusterLines.joined(separator: "\n") + "\n").utf8).write(to: out.appendingPathComponent("clusters/part-00000"))
        for (name, list) in [("merges", kept), ("stops", links("stop"))] {
            try Data(list.map { "\($0.txid)\t\($0.a)\t\($0.b)\t\($0.ids)\n" }.joined().utf8).write(to: out.appendingPathComponent("\(name)/part-00000"))
        }
        let stored = try #require(try database.read { try ClusterRunStore.state($0) })
        let run: [String: Any] = ["profile": "default", "profile_hash": stored.profileHash, "transactions": 2470,
                                  "excluded_transactions": stored.statistics.excluded, "exclusions_per_rule": stored.statistics.exclusions,
                                  "merges_per_heuristic": stored.statistics.merges]
        try JSONSerialization.data(withJSONObject: run).write(to: out.appendingPathComponent("run.json"))
        let imported = dir.appendingPathComponent("empty.sqlite").path
        let otherProfile = dir.appendingPathComponent("change.sqlite").path
        try FileManager.default.copyItem(atPath: imported, toPath: otherProfile)
        try await runSpoor(["import", "clusters", out.path, "--db", imported])
        for format in ["csv", "graphml"] {
            let a = dir.appendingPathComponent("local.\(format)").path, b = dir.appendingPathComponent("imported.\(format)").path
            try await runSpoor(["export", "clusters", "--db", local, "--format", format, "--out", a])
            try await runSpoor(["export", "clusters", "--db", imported, "--format", format, "--out", b])
            #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b), "\(format)")
        }
        let importedState = try #require(try CaseDatabase(path: imported, mode: .readOnly).read { try ClusterRunStore.state($0) })
        #expect(importedState.watermark == stored.watermark && importedState.idSum == stored.idSum)

        // Like spoor cluster, the import replaces a clustering made with another profile only with --replace.
        try await runSpoor(["cluster", "--db", otherProfile, "--profile", "change", "--json"])
        let spoor = try #require(ChildRun.spoor)
        let refused = try ChildRun.run(spoor, ["import", "clusters", out.path, "--db", otherProfile])
        #expect(refused.status == 1 && refused.stdout.isEmpty, "\(refused)")
        #expect(refused.stderr == "Error: \(otherProfile) holds a clustering made with profile change; pass --replace to replace "
                + "it with profile default (reports, evaluate, trace and explain use the stored one)\n", "\(refused)")
        #expect(try CaseDatabase(path: otherProfile, mode: .readOnly).read { try ClusterRunStore.state($0) }?.profile == "change")
        let replaced = try ChildRun.run(spoor, ["import", "clusters", out.path, "--db", otherProfile, "--replace"])
        #expect(replaced.status == 0 && replaced.stdout.contains("profile       default"), "\(replaced)")
        let replacedGraphML = dir.appendingPathComponent("replaced.graphml").path
        try await runSpoor(["export", "clusters", "--db", otherProfile, "--format", "graphml", "--out", replacedGraphML])
        #expect(FileManager.default.contents(atPath: replacedGraphML)
                == FileManager.default.contents(atPath: dir.appendingPathComponent("local.graphml").path))

        // Addresses listed in another order than the case's ids are refused at the first line out of step.
        var swapped = clusterLines
        swapped.swapAt(7, 8)
        try Data((swapped.joined(separator: "\n") + "\n").utf8).write(to: out.appendingPathComponent("clusters/part-00000"))
        let outOfStep = try ChildRun.run(spoor, ["import", "clusters", out.path, "--db", otherProfile])
        #expect(outOfStep.status == 1)
        #expect(outOfStep.stderr.contains("clusters/part-00000:8: \(ranked[8]) where the case's address 8 is \(ranked[7])"), "\(outOfStep)")

        // A result that does not fit is refused whole: one address moved to another cluster, then a repeated merge.
        roots[Int(ids[ranked[5]]!)] = 1
        let moved = ranked.map { "\($0),\(roots[Int(ids[$0]!)])" }.joined(separator: "\n") + "\n"
        try Data(moved.utf8).write(to: out.appendingPathComponent("clusters/part-00000"))
        let graphml = dir.appendingPathComponent("after.graphml").path
        func storedEvidence() async throws -> Data? {
            try await runSpoor(["export", "clusters", "--db", imported, "--format", "graphml", "--out", graphml])
            return FileManager.default.contents(atPath: graphml)
        }
        let before = try await storedEvidence()
        await #expect(throws: CommandFailure.self) { try await runSpoor(["import", "clusters", out.path, "--db", imported]) }
        try Data((clusterLines.joined(separator: "\n") + "\n").utf8).write(to: out.appendingPathComponent("clusters/part-00000"))
        let repeated = (kept + [kept[0]]).map { "\($0.txid)\t\($0.a)\t\($0.b)\t\($0.ids)\n" }.joined()
        try Data(repeated.utf8).write(to: out.appendingPathComponent("merges/part-00000"))
        do {
            try await runSpoor(["import", "clusters", out.path, "--db", imported])
            Issue.record("a repeated merge was accepted")
        } catch { #expect("\(error)".contains("merge \(kept.count + 1) joins two addresses")) }
        #expect(try await storedEvidence() == before)
        #expect(before == FileManager.default.contents(atPath: dir.appendingPathComponent("local.graphml").path))
    }

    @Test func profilesThatNeedTheWholeChainAreRefusedWithExitTwo() throws {
        let spoor = try #require(ChildRun.spoor, "build the spoor executable first (swift build)")
        let run = try ChildRun.run(spoor, ["cluster", "map", "--profile", "change", "/dev/null"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("change rule"))
    }
}
