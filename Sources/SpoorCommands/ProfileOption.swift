import ArgumentParser
import Clustering
import Foundation

/// `--profile NAME_OR_FILE`: a path to a profile file, or the name of one in `Heuristics/profiles/`
/// (looked up in the current folder, then in the source tree Spoor was built from).
struct ProfileOption: ParsableArguments {
    @Option(name: .long, help: "Heuristic profile: a name in Heuristics/profiles (default, conservative, change) or a JSON file.")
    var profile: String = "default"

    func load() throws -> HeuristicProfile {
        try ProfileOption.resolve(profile)
    }

    static let sourceProfiles = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Heuristics/profiles")

    static func resolve(_ nameOrFile: String) throws -> HeuristicProfile {
        let fm = FileManager.default
        var candidates = [nameOrFile]
        if !nameOrFile.contains("/") && !nameOrFile.hasSuffix(".json") {
            candidates.append("Heuristics/profiles/\(nameOrFile).json")
            candidates.append(sourceProfiles.appendingPathComponent("\(nameOrFile).json").path)
        }
        for path in candidates where fm.fileExists(atPath: path) {
            guard let data = fm.contents(atPath: path) else { throw CommandFailure("\(path): cannot read the profile file") }
            return try HeuristicProfile.load([UInt8](data), file: path)
        }
        throw CommandFailure("profile \(nameOrFile): no such file, and no Heuristics/profiles/\(nameOrFile).json "
                             + "(known names: default, conservative, change)")
    }
}
