import ArgumentParser

/// `spoor cluster` runs the clustering; `spoor cluster show ADDRESS` looks one cluster up.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Cluster addresses into wallets, keeping the evidence of every merge.",
        discussion: """
            `spoor cluster [run] [--db PATH] [--profile NAME_OR_FILE] [--fresh] [--replace] [--quiet] [--json]` clusters the \
            case database (see `spoor cluster run --help`); `spoor cluster show ADDRESS` lists one cluster; \
            `spoor cluster map` is the per-partition half of clustering on Spark (Sources/SparkClustering).
            """,
        subcommands: [ClusterRun.self, ClusterShow.self, ClusterMap.self],
        defaultSubcommand: ClusterRun.self
    )
}
