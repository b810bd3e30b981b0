import ArgumentParser

// Owned by the tracing work; replace this placeholder.
struct Tags: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tags", abstract: "Import GraphSense TagPacks and watchlists.")
    func run() async throws { throw CommandFailure("spoor tags is not implemented yet") }
}
