import ArgumentParser
import CaseStore

/// The `spoor` command tree. Each subcommand lives in its own file.
public struct Spoor: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spoor",
        abstract: "Follow Bitcoin payment trails: read chain data, cluster wallets, trace funds, report.",
        version: SpoorVersion.current,
        subcommands: [
            Inspect.self, Export.self,                       // reading
            Ingest.self, Fetch.self, Stats.self, TxCommand.self, AddressCommand.self,  // the case database
            Cluster.self, Explain.self, Evaluate.self,       // clustering
            Tags.self, Trace.self, MatchAds.self, ReportCommand.self, Investigate.self,  // tracing and reports
        ]
    )
    public init() {}
}
