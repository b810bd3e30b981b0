import ArgumentParser

// Owned by the clustering work; replace this placeholder.
struct ClusterRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Cluster the case database's addresses with a heuristic profile.")
    func run() async throws { throw CommandFailure("spoor run is not implemented yet") }
}
