import ArgumentParser

// Owned by the store work; replace this placeholder.
struct TxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tx", abstract: "Look up a transaction: inputs with their sources, outputs with their spenders.")
    func run() async throws { throw CommandFailure("spoor tx is not implemented yet") }
}
