import ArgumentParser
import CaseStore
import Foundation

/// The `spoor` command tree. Each subcommand lives in its own file.
public struct Spoor: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spoor",
        abstract: "Follow Bitcoin payment trails: read chain data, cluster wallets, trace funds, report.",
        version: SpoorVersion.current,
        subcommands: [
            Inspect.self, Export.self,                       // reading
            Ingest.self, Fetch.self, Stats.self, TxCommand.self, AddressCommand.self,  // the case database
            Cluster.self, Explain.self, Evaluate.self, Import.self,  // clustering
            Tags.self, Trace.self, MatchAds.self, ReportCommand.self, Investigate.self,  // tracing and reports
        ]
    )
    public init() {}

    /// Runs the command line; a failure is printed as a sentence naming the file, never as a Foundation error
    /// dump ("Error Domain=NSCocoaErrorDomain Code=…"), and ends the process non-zero.
    public static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch {
            exit(withError: FoundationErrorText.plain(error))
        }
    }
}

/// Foundation's file errors in words: "PATH: no such file", not the error object's description.
enum FoundationErrorText {
    static func plain(_ error: any Error) -> any Error {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return error }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        var reason: String
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(posix.code)))
        } else if ns.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(ns.code)))
        } else {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file"
            case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
            case .fileWriteOutOfSpace: reason = "no space left on the device"
            case .fileWriteVolumeReadOnly: reason = "the volume is read-only"
            case .fileWriteFileExists: reason = "the file exists"
            case .fileReadCorruptFile: reason = "the file is not in the expected format"
            default: reason = "file operation failed (code \(ns.code))"
            }
        }
        return CommandFailure(path.map { "\($0): \(reason)" } ?? reason)
    }
}
