import ArgumentParser
import BuiltinProfiles
import Clustering
import Foundation
import Investigation

/// `--profile NAME_OR_FILE`: a path to a profile file (it has a `/` or ends in .json, .yaml or .yml), or a name:
/// one of the profiles shipped in `Heuristics/profiles/` (embedded in the binary), or a user profile
/// `$XDG_CONFIG_HOME/spoor/profiles/NAME.json|yaml|yml` (`~/.config/spoor/profiles` when the variable is unset).
/// A user profile may not take a shipped profile's name: a name always means one document.
struct ProfileOption: ParsableArguments {
    @Option(name: .long, help: "Heuristic profile: a shipped one (\(BuiltinProfiles.names.joined(separator: ", "))), a name in $XDG_CONFIG_HOME/spoor/profiles, or a JSON or YAML file.")
    var profile: String = "default"

    func load() throws -> HeuristicProfile {
        try ProfileOption.resolve(profile)
    }

    static let extensions = ["json", "yaml", "yml"]

    /// The folder of user profiles: `$XDG_CONFIG_HOME/spoor/profiles`, else `~/.config/spoor/profiles`.
    static func userProfileFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
        return config.appendingPathComponent("spoor/profiles")
    }

    static func resolve(_ nameOrFile: String,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HeuristicProfile {
        let fm = FileManager.default
        let isPath = nameOrFile.contains("/") || extensions.contains { nameOrFile.lowercased().hasSuffix("." + $0) }
        if isPath {
            guard fm.fileExists(atPath: nameOrFile) else { throw CommandFailure("\(nameOrFile): no such profile file") }
            return try loadFile(nameOrFile)
        }
        let folder = userProfileFolder(environment: environment)
        let userFile = extensions.map { folder.appendingPathComponent("\(nameOrFile).\($0)").path }.first { fm.fileExists(atPath: $0) }
        if let builtin = BuiltinProfiles.named(nameOrFile) {
            if let userFile {
                throw CommandFailure("\(userFile): a user profile may not take the name of the shipped profile \(nameOrFile); "
                                     + "rename it (or pass its path)")
            }
            return try load(builtin.bytes, file: "Heuristics/profiles/\(builtin.fileName) (built in)")
        }
        if let userFile { return try loadFile(userFile) }
        throw CommandFailure("profile \(nameOrFile): not a shipped profile (\(BuiltinProfiles.names.joined(separator: ", "))), "
                             + "no \(folder.path)/\(nameOrFile).json, .yaml or .yml, and not a file path")
    }

    private static func loadFile(_ path: String) throws -> HeuristicProfile {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("\(path): cannot read the profile file") }
        return try load([UInt8](data), file: path)
    }

    /// A profile file's bytes: JSON, or (`.yaml` / `.yml`) the same document written as YAML, which is
    /// turned into JSON and validated by the same code; the hash is of the bytes as written.
    static func load(_ bytes: [UInt8], file: String) throws -> HeuristicProfile {
        let lower = file.lowercased()
        guard lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") else { return try HeuristicProfile.load(bytes, file: file) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CommandFailure("\(file): not UTF-8 text") }
        let document: Any?
        do { document = try BoundedYAML.load(text, file: file) } catch let e as InputError {
            throw CommandFailure(e.description)
        }
        guard let document = document as? [String: Any], JSONSerialization.isValidJSONObject(document) else {
            throw CommandFailure("\(file): a profile is a mapping of string keys (id, version, cospend, exclude, change, guards)")
        }
        let json = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
        return try HeuristicProfile.load([UInt8](json), file: file, original: bytes)
    }
}
