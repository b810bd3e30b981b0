import ArgumentParser

// Owned by the clustering work; replace this placeholder.
struct ExportClusters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clusters", abstract: "Export address,cluster_id as CSV or GraphML.")
    func run() async throws { throw CommandFailure("spoor clusters is not implemented yet") }
}
