import ArgumentParser

// Owned by the store work; replace this placeholder.
struct Fetch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Pull the transactions around addresses from an Esplora API.")
    func run() async throws { throw CommandFailure("spoor fetch is not implemented yet") }
}
