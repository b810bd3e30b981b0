import ArgumentParser

// Owned by the tracing work; replace this placeholder.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Write the JSON (and HTML) report of an investigation.")
    func run() async throws { throw CommandFailure("spoor report is not implemented yet") }
}
