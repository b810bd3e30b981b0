import ArgumentParser

// Owned by the reader work; replace this placeholder.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Decode blocks, transactions and blk directories.")
    func run() async throws { throw CommandFailure("spoor inspect is not implemented yet") }
}
