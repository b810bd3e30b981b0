import Foundation
import PackagePlugin

/// Embeds the shipped heuristic profiles (`Heuristics/profiles/*.json|yaml|yml`) into the target it is applied
/// to, so a copied `spoor` binary knows them with the source tree out of reach. The folder is listed at every
/// build, so an added or edited profile is picked up without touching the package. The profiles' measured error
/// rates (`Heuristics/error-rates.json`, cited by every report) travel with them, as `BuiltinErrorRates`.
@main
struct EmbedProfiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "Heuristics").appending(path: "profiles")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { ["json", "yaml", "yml"].contains($0.pathExtension.lowercased()) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedProfiles.swift")
        let rates = context.package.directoryURL.appending(path: "Heuristics").appending(path: "error-rates.json")
        let ratesOutput = context.pluginWorkDirectoryURL.appending(path: "EmbeddedErrorRates.swift")
        let tool = try context.tool(named: "EmbedFiles").url
        return [.buildCommand(displayName: "Embedding \(files.count) profiles from Heuristics/profiles",
                              executable: tool,
                              arguments: [output.path, "BuiltinProfiles"] + files.map(\.path),
                              inputFiles: files, outputFiles: [output]),
                .buildCommand(displayName: "Embedding Heuristics/error-rates.json", executable: tool,
                              arguments: [ratesOutput.path, "BuiltinErrorRates", rates.path],
                              inputFiles: [rates], outputFiles: [ratesOutput])]
    }
}
