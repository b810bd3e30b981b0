import ArgumentParser

// Owned by the clustering work; replace this placeholder.
struct Evaluate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "Score a clustering against a sample chain's ground truth.")
    func run() async throws { throw CommandFailure("spoor evaluate is not implemented yet") }
}
