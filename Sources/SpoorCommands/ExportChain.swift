import ArgumentParser

// Owned by the reader work; replace this placeholder.
struct ExportChain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chain", abstract: "Export chain data as bitcoin-etl JSON lines.")
    func run() async throws { throw CommandFailure("spoor chain is not implemented yet") }
}
