import ArgumentParser
import CaseStore
import Clustering
import Foundation

/// `spoor export clusters`: address,cluster_id as CSV, or the merge graph as GraphML (Gephi, Maltego).
struct ExportClusters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clusters", abstract: "Export address,cluster_id as CSV or GraphML.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, graphml }

    @Option(name: .long, help: "The case database.")
    var db: String = CaseDatabase.defaultPath
    @Option(name: .long, help: "Output file (default: standard output).")
    var out: String?
    @Option(name: .long, help: "csv (address,cluster_id) or graphml (addresses as nodes, merges as edges).")
    var format: Format = .csv

    func run() async throws {
        if let out {
            var outputs = OutputGuard()
            outputs.protect(database: db)
            try outputs.check(out, as: "--out")
        }
        let database = try CaseDatabase(path: db, mode: .readOnly)
        var buffer = Data()
        func write(_ s: String) { buffer.append(contentsOf: Array(s.utf8)) }
        try database.read { db in
            let run = try ClusterStore.runProfile(db)
            switch format {
            case .csv:
                write("address,cluster_id\n")
                try ClusterStore.forEachAssignment(db) { a, c in write("\(a),\(c)\n") }
            case .graphml:
                write("""
                    <?xml version="1.0" encoding="UTF-8"?>
                    <graphml xmlns="http://graphml.graphdrawing.org/xmlns">
                      <key id="cluster" for="node" attr.name="cluster_id" attr.type="long"/>
                      <key id="txid" for="edge" attr.name="txid" attr.type="string"/>
                      <key id="heuristics" for="edge" attr.name="heuristics" attr.type="string"/>
                      <graph id="\(xml(run.id))-\(run.hash.prefix(16))" edgedefault="undirected">

                    """)
                try ClusterStore.forEachAssignment(db) { a, c in
                    write("    <node id=\"\(xml(a))\"><data key=\"cluster\">\(c)</data></node>\n")
                }
                var n = 0
                try ClusterStore.forEachMerge(db) { a, b, txid, hs in
                    write("    <edge id=\"e\(n)\" source=\"\(xml(a))\" target=\"\(xml(b))\"><data key=\"txid\">\(txid)</data><data key=\"heuristics\">\(xml(HeuristicRegistry.ids(inMask: hs).map(\.rawValue).joined(separator: ",")))</data></edge>\n")
                    n += 1
                }
                write("  </graph>\n</graphml>\n")
            }
        }
        if let out {
            // Atomic: written beside it and renamed, so a symlink planted at the path is replaced, not followed.
            do { try buffer.write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw CommandFailure("\(out): cannot write the export (\(error.localizedDescription))")
            }
        } else {
            Console.write(buffer)
        }
    }

    private func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
