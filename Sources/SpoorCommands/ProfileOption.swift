import ArgumentParser
import Clustering
import Foundation
import Yams

/// `--profile NAME_OR_FILE`: a path to a profile file, or the name of one in `Heuristics/profiles/`
/// (looked up in the current folder, then in the source tree Spoor was built from).
struct ProfileOption: ParsableArguments {
    @Option(name: .long, help: "Heuristic profile: a name in Heuristics/profiles (default, conservative, change) or a JSON or YAML file.")
    var profile: String = "default"

    func load() throws -> HeuristicProfile {
        try ProfileOption.resolve(profile)
    }

    static let sourceProfiles = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Heuristics/profiles")

    static func resolve(_ nameOrFile: String) throws -> HeuristicProfile {
        let fm = FileManager.default
        var candidates = [nameOrFile]
        let isFileName = [".json", ".yaml", ".yml"].contains { nameOrFile.lowercased().hasSuffix($0) }
        if !nameOrFile.contains("/") && !isFileName {
            for ext in ["json", "yaml", "yml"] {
                candidates.append("Heuristics/profiles/\(nameOrFile).\(ext)")
                candidates.append(sourceProfiles.appendingPathComponent("\(nameOrFile).\(ext)").path)
            }
        }
        for path in candidates where fm.fileExists(atPath: path) {
            guard let data = fm.contents(atPath: path) else { throw CommandFailure("\(path): cannot read the profile file") }
            return try load([UInt8](data), file: path)
        }
        throw CommandFailure("profile \(nameOrFile): no such file, and no Heuristics/profiles/\(nameOrFile).json "
                             + "(known names: default, conservative, change)")
    }

    /// A profile file's bytes: JSON, or (`.yaml` / `.yml`) the same document written as YAML, which is
    /// turned into JSON and validated by the same code; the hash is of the bytes as written.
    static func load(_ bytes: [UInt8], file: String) throws -> HeuristicProfile {
        let lower = file.lowercased()
        guard lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") else { return try HeuristicProfile.load(bytes, file: file) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CommandFailure("\(file): not UTF-8 text") }
        let document: Any?
        do { document = try Yams.load(yaml: text) } catch {
            throw CommandFailure("\(file): not valid YAML: \(error)")
        }
        guard let document = document as? [String: Any], JSONSerialization.isValidJSONObject(document) else {
            throw CommandFailure("\(file): a profile is a mapping of string keys (id, version, cospend, exclude, change, guards)")
        }
        let json = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        return try HeuristicProfile.load([UInt8](json), file: file, original: bytes)
    }
}
