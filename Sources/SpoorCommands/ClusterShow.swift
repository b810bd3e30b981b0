import ArgumentParser

// Owned by the clustering work; replace this placeholder.
struct ClusterShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one address's cluster.")
    func run() async throws { throw CommandFailure("spoor show is not implemented yet") }
}
