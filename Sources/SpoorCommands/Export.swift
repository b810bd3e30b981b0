import ArgumentParser

/// `spoor export` writes chain data (default) or clusters.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export chain data (bitcoin-etl) or clusters (CSV, GraphML).",
        subcommands: [ExportChain.self, ExportClusters.self],
        defaultSubcommand: ExportChain.self
    )
}
