import ArgumentParser
import CaseStore
import ChainSources
import Foundation

/// `spoor ingest --rpc URL`: read blocks from a live Bitcoin Core node instead of files.
///
/// The password never travels as a flag (it would show in `ps` and shell history): it comes from Core's cookie
/// file or from an environment variable, and is never printed or stored.
struct IngestRPCOptions: ParsableArguments {
    @Option(name: .customLong("rpc"), help: ArgumentHelp(
        "A Bitcoin Core node's JSON-RPC URL, e.g. http://127.0.0.1:8332.", valueName: "url"))
    var url: String?
    @Option(name: .customLong("rpc-cookie"), help: ArgumentHelp(
        "The node's .cookie file (user __cookie__ and a password written at node start-up).", valueName: "path"))
    var cookie: String?
    @Option(name: .customLong("rpc-user"), help: ArgumentHelp(
        "RPC user name; the password is read from the environment variable named by --rpc-password-env.",
        valueName: "user"))
    var user: String?
    @Option(name: .customLong("rpc-password-env"), help: ArgumentHelp(
        "The environment variable holding the --rpc-user password.", valueName: "name"))
    var passwordVariable: String = "SPOOR_RPC_PASSWORD"
    @Option(name: .customLong("from-height"), help: "First height to read from the node (default 0).")
    var fromHeight: Int?
    @Option(name: .customLong("to-height"), help: "Last height to read from the node (default: its tip now).")
    var toHeight: Int?
    @Option(name: .customLong("rpc-batch"), help: "Blocks asked for per JSON-RPC batch request.")
    var blocksPerRequest: Int = 16

    init() {}

    var isRequested: Bool { url != nil }

    func validate() throws {
        guard let url else {
            if cookie != nil || user != nil || fromHeight != nil || toHeight != nil {
                throw ValidationError("--rpc-cookie, --rpc-user, --from-height and --to-height need --rpc URL")
            }
            return
        }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", parsed.host != nil else {
            throw ValidationError("--rpc \(HTTPTransport.displayString(URL(string: url) ?? URL(fileURLWithPath: "/"))) "
                + "is not an http:// URL (e.g. http://127.0.0.1:8332)")
        }
        if parsed.password != nil {
            throw ValidationError("--rpc URL must not carry a password (it would show in the process list and "
                + "shell history); use --rpc-cookie or --rpc-user with \(passwordVariable)")
        }
        if cookie != nil && user != nil { throw ValidationError("give --rpc-cookie or --rpc-user, not both") }
        if blocksPerRequest < 1 { throw ValidationError("--rpc-batch must be at least 1") }
    }

    /// The credentials the options name; nil when neither a cookie nor a user is given.
    func credentials(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> NodeRPCCredentials? {
        if let cookie { return try NodeRPCCredentials.cookie(at: cookie) }
        if let user {
            return try NodeRPCCredentials.user(user, passwordFromEnvironment: passwordVariable, environment: environment)
        }
        return nil
    }

    /// The node as a chain source, or nil without `--rpc`. Without `--from-height`, reading starts above what
    /// `database` already holds of the node's best chain (the fork point after a reorg). A node that is still
    /// starting is waited for, with a line on standard error unless `quiet`.
    func openSource(database: CaseDatabase, quiet: Bool,
                    environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NodeRPCSource? {
        guard let url, let parsed = URL(string: url) else { return nil }
        do {
            let client = NodeRPCClient(url: parsed, credentials: try credentials(environment: environment))
            if !quiet {
                var said: String?
                client.onWarmup = { status in
                    guard status != said else { return }
                    said = status
                    Console.writeError(Data("the node is still starting (\(status)); waiting\n".utf8))
                }
            }
            let source = try NodeRPCSource(client: client, fromHeight: fromHeight, toHeight: toHeight,
                                           blocksPerRequest: blocksPerRequest, stored: try Self.storedChain(database))
            if let dropped = source.storedAboveFork, dropped.upperBound > source.toHeight {
                printError("note: the database's blocks at heights \(dropped.lowerBound)–\(dropped.upperBound) are "
                    + "not on the node's best chain, which ends at height \(source.toHeight); they stay until a "
                    + "branch with more work replaces them (Spoor keeps the chain with the most work, so a block the "
                    + "node dropped with invalidateblock stays)")
            }
            return source
        } catch let error as NodeRPCError {
            throw CommandFailure(error.description)
        }
    }

    /// What the database holds of the best chain, or nil when it holds no block.
    static func storedChain(_ database: CaseDatabase) throws -> StoredChain? {
        guard let tip = try StoreQueries.bestHeight(database) else { return nil }
        return StoredChain(lowestHeight: try StoreQueries.lowestHeight(database) ?? 0, tipHeight: tip) {
            try StoreQueries.bestChainHashes($0, in: database)
        }
    }
}

extension NodeRPCSource: ProgressReportingSource {}
