import ArgumentParser

// Owned by the tracing work; replace this placeholder.
struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trace", abstract: "Trace funds to or from a watchlist's clusters.")
    func run() async throws { throw CommandFailure("spoor trace is not implemented yet") }
}
