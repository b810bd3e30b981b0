import ArgumentParser

/// `spoor cluster` runs the clustering; `spoor cluster show ADDRESS` looks one cluster up.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Cluster addresses into wallets, keeping the evidence of every merge.",
        subcommands: [ClusterRun.self, ClusterShow.self],
        defaultSubcommand: ClusterRun.self
    )
}
