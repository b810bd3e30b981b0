import Clustering
import Foundation
import SpoorTestSupport
import Testing

/// `HeuristicRegistry` is the one list of heuristic ids: each id is spelled there once, and no other source file
/// spells one as a string literal (a copy compiles, and silently stops matching when the registry changes).
@Suite struct HeuristicRegistryTests {
    @Test func everyIDIsSpelledOnlyInTheRegistry() throws {
        let literal = try NSRegularExpression(pattern: #""((?:cospend|exclude|change|link|guard)\.[a-z0-9.-]+)""#)
        let sources = Fixtures.repositoryRoot.appendingPathComponent("Sources")
        var spelled: [String: [String]] = [:]  // id → files
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                let s = String(line) as NSString
                for m in literal.matches(in: String(line), range: NSRange(location: 0, length: s.length)) {
                    spelled[s.substring(with: m.range(at: 1)), default: []].append(file.lastPathComponent)
                }
            }
        }
        #expect(Set(spelled.keys) == Set(HeuristicRegistry.allIDs.map(\.rawValue)),
                "ids spelled in Sources vs HeuristicRegistry.allIDs")
        for (id, where_) in spelled.sorted(by: { $0.key < $1.key }) {
            #expect(where_ == ["HeuristicRegistry.swift"], "\(id) is spelled in \(where_)")
        }
    }
}
