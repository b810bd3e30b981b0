import Foundation
import SpoorTestSupport
import Testing

/// The README's architecture section against the real dependency graph: `Package.swift`'s target dependencies
/// and the `import` lines of each target's sources. A new dependency, a dropped one or a target left out of
/// the README fails here, so the picture a newcomer reads first stays true.
@Suite struct ArchitectureDocTests {
    /// The README's architecture table: target → the Spoor targets its row says it imports.
    static func readmeRows() throws -> [String: Set<String>] {
        let section = try architectureSection()
        var rows: [String: Set<String>] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            let imports = cells[2] == "—" ? [] : cells[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            for name in cells[1].split(separator: ",") {
                rows[name.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = Set(imports)
            }
        }
        return rows
    }

    /// The README's layer list: target → layer number.
    static func readmeLayers() throws -> [String: Int] {
        var layers: [String: Int] = [:]
        for line in try architectureSection().split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 1)
            guard line.hasPrefix("    "), words.count == 2, let layer = Int(words[0]) else { continue }
            for name in words[1].split(separator: ",") { layers[name.trimmingCharacters(in: .whitespaces)] = layer }
        }
        return layers
    }

    static func architectureSection() throws -> String {
        let readme = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "\n## Architecture\n") else { throw ReadmeLacks(section: "Architecture") }
        let rest = readme[start.upperBound...]
        return String(rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)])
    }

    /// `Package.swift`'s non-test targets and plugins → the Spoor targets each depends on (products of packages
    /// left out; a target's `plugins:` are not dependencies).
    static func packageTargets() throws -> [String: (dependencies: Set<String>, path: String, isPlugin: Bool)] {
        let manifest = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declaration = try NSRegularExpression(pattern: #"\.(target|executableTarget|systemLibrary|plugin|testTarget)\(\s*name:\s*"([^"]+)""#)
        let product = try NSRegularExpression(pattern: #"\.product\([^)]*\)"#)
        let text = manifest as NSString
        let matches = declaration.matches(in: manifest, range: NSRange(location: 0, length: text.length))
        var targets: [String: (dependencies: Set<String>, path: String, isPlugin: Bool)] = [:]
        for (k, match) in matches.enumerated() {
            let kind = text.substring(with: match.range(at: 1)), name = text.substring(with: match.range(at: 2))
            guard kind != "testTarget" else { continue }
            let end = k + 1 < matches.count ? matches[k + 1].range.location : text.length
            var body = text.substring(with: NSRange(location: match.range.location, length: end - match.range.location))
            if let plugins = body.range(of: "plugins:") { body = String(body[..<plugins.lowerBound]) }
            var dependencies: Set<String> = []
            if let open = body.range(of: "dependencies: [") {
                var depth = 1, index = open.upperBound
                while depth > 0, index < body.endIndex {
                    if body[index] == "[" { depth += 1 } else if body[index] == "]" { depth -= 1 }
                    index = body.index(after: index)
                }
                let list = product.stringByReplacingMatches(in: String(body[open.upperBound..<index]),
                                                            range: NSRange(location: 0, length: (String(body[open.upperBound..<index]) as NSString).length),
                                                            withTemplate: "")
                let quoted = try NSRegularExpression(pattern: #""([^"]+)""#)
                let ns = list as NSString
                for q in quoted.matches(in: list, range: NSRange(location: 0, length: ns.length)) {
                    dependencies.insert(ns.substring(with: q.range(at: 1)))
                }
            }
            var path = "Sources/\(name)"
            if let p = try NSRegularExpression(pattern: #"path:\s*"([^"]+)""#)
                .firstMatch(in: body, range: NSRange(location: 0, length: (body as NSString).length)) {
                path = (body as NSString).substring(with: p.range(at: 1))
            }
            targets[name] = (dependencies, path, kind == "plugin")
        }
        return targets
    }

    /// The Spoor targets a target's sources import.
    static func imports(under path: String, among names: Set<String>) throws -> Set<String> {
        let folder = Fixtures.repositoryRoot.appendingPathComponent(path)
        var found: Set<String> = []
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ")
                guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                      words[..<i].allSatisfy({ $0.hasPrefix("@") || ["public", "internal", "package"].contains($0) }) else { continue }
                let module = String(words[i + 1])
                if names.contains(module) { found.insert(module) }
            }
        }
        return found
    }

    @Test func everyTargetHasARowWithItsRealDependencies() throws {
        let targets = try Self.packageTargets(), rows = try Self.readmeRows()
        #expect(targets.count >= 14, "Package.swift parsed into \(targets.count) targets")
        #expect(Set(rows.keys) == Set(targets.keys), "README rows vs Package.swift targets")
        for (name, target) in targets.sorted(by: { $0.key < $1.key }) {
            #expect(rows[name] == target.dependencies, "\(name): README says \(rows[name]?.sorted() ?? []), Package.swift \(target.dependencies.sorted())")
            // A plugin runs its dependencies as tools; it imports none of them.
            guard !target.isPlugin else { continue }
            let imported = try Self.imports(under: target.path, among: Set(targets.keys))
            #expect(imported == target.dependencies, "\(name): its sources import \(imported.sorted()), Package.swift declares \(target.dependencies.sorted())")
        }
    }

    @Test func theLayersAreTheLongestDependencyChains() throws {
        let targets = try Self.packageTargets(), layers = try Self.readmeLayers()
        var memo: [String: Int] = [:]
        func layer(_ name: String) -> Int {
            if let known = memo[name] { return known }
            let value = (targets[name]?.dependencies.map { layer($0) + 1 }.max()) ?? 0
            memo[name] = value
            return value
        }
        #expect(Set(layers.keys) == Set(targets.keys), "README layers vs Package.swift targets")
        for name in targets.keys.sorted() {
            #expect(layers[name] == layer(name), "\(name): README layer \(layers[name].map(String.init) ?? "none"), real \(layer(name))")
        }
    }
}

struct ReadmeLacks: Error { let section: String }
