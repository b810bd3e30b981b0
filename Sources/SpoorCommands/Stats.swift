import ArgumentParser

// Owned by the store work; replace this placeholder.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Counts and totals of the case database.")
    func run() async throws { throw CommandFailure("spoor stats is not implemented yet") }
}
