import ArgumentParser

// Owned by the store work; replace this placeholder.
struct AddressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "address", abstract: "Look up an address: received, sent, balance, activity.")
    func run() async throws { throw CommandFailure("spoor address is not implemented yet") }
}
