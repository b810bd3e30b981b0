import ArgumentParser

// Owned by the tracing work; replace this placeholder.
struct Investigate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "investigate", abstract: "Ingest, cluster, match and report in one run.")
    func run() async throws { throw CommandFailure("spoor investigate is not implemented yet") }
}
