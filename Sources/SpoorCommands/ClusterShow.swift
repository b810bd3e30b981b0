import ArgumentParser
import CaseStore
import Foundation
import Investigation

/// `spoor cluster show ADDRESS`: one address's cluster.
struct ClusterShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one address's cluster.")

    @Argument(help: "An address in the cluster.")
    var address: String
    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @Option(name: .long, help: "First member to list (members are in address id order).")
    var offset: Int = 0
    @Option(name: .long, help: "How many members to list.")
    var limit: Int = 50
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard offset >= 0, limit >= 0 else { throw ValidationError("--offset and --limit must not be negative") }
    }

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        let d = try ClusterLookups.detail(database, address: address, offset: offset, limit: limit)
        if output.json { try printJSON(d); return }
        print("cluster       \(d.clusterId) (profile \(d.profile), sha256 \(d.profileHash.prefix(16))…)")
        print("size          \(d.size) addresses")
        print("transactions  \(d.transactions)")
        print("received      \(d.receivedSat) sat")
        print("sent          \(d.sentSat) sat")
        print("first seen    \(d.firstSeen.map(String.init) ?? "-")  last seen \(d.lastSeen.map(String.init) ?? "-")")
        print("evidence      " + d.evidenceCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("members \(d.membersOffset + 1)–\(d.membersOffset + d.members.count) of \(d.size):")
        for m in d.members { print("  \(m)") }
    }
}
