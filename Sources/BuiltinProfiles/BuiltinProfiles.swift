import Foundation

/// The heuristic profiles shipped in `Heuristics/profiles/`, embedded in the binary at build time (the
/// EmbedProfiles plugin writes `embeddedFiles`): a copied `spoor` needs no source tree to find them.
public enum BuiltinProfiles {
    /// One shipped profile file: its name without extension, its file name, and its bytes as written (the
    /// profile hash in every report is of these bytes).
    public struct File: Sendable {
        public var name: String
        public var fileName: String
        public var bytes: [UInt8]
    }

    /// Every shipped profile, sorted by name.
    public static let all: [File] = embeddedFiles.map { entry in
        let bytes = Data(base64Encoded: entry.base64).map { [UInt8]($0) } ?? []
        let name = entry.name.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
        return File(name: name, fileName: entry.name, bytes: bytes)
    }

    /// The names a `--profile` option accepts without a path.
    public static var names: [String] { all.map(\.name) }

    /// The shipped profile called `name`, or nil.
    public static func named(_ name: String) -> File? { all.first { $0.name == name } }
}

/// `Heuristics/error-rates.json` (every shipped profile's figures on the sample-chain corpus), embedded at build
/// time by the same plugin: a copied `spoor` still cites its profile's error rates.
public enum BuiltinErrorRates {
    /// The file's bytes.
    public static let bytes: [UInt8] = embeddedFiles.first.flatMap { Data(base64Encoded: $0.base64) }.map { [UInt8]($0) } ?? []
}
