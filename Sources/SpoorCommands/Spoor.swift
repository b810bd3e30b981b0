import ArgumentParser

/// The `spoor` command tree. Each subcommand lives in its own file.
public struct Spoor: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spoor",
        abstract: "Follow Bitcoin payment trails: read chain data, cluster wallets, trace funds, report.",
        version: SpoorVersion.current,
        subcommands: []
    )
    public init() {}
}

public enum SpoorVersion {
    public static let current = "0.1.0"
}
