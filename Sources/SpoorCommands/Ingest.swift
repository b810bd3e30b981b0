import ArgumentParser

// Owned by the store work; replace this placeholder.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Load chain data into the case database.")
    func run() async throws { throw CommandFailure("spoor ingest is not implemented yet") }
}
