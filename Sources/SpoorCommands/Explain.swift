import ArgumentParser

// Owned by the clustering work; replace this placeholder.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Show the chain of evidence linking two addresses.")
    func run() async throws { throw CommandFailure("spoor explain is not implemented yet") }
}
