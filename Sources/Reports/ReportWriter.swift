import Foundation
import Investigation

/// Writes reports byte-for-byte reproducibly: sorted keys, fixed indentation, a trailing newline, and nothing
/// that depends on the clock or the machine.
public enum ReportWriter {
    public static func json(_ report: Report) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(report)
        data.append(contentsOf: Array("\n".utf8))
        return data
    }

    /// The JSON Schema the report follows (shipped as a resource of this module).
    public static func schemaData() throws -> Data {
        guard let url = Bundle.module.url(forResource: "report.schema", withExtension: "json") else {
            throw InputError(file: "report.schema.json", "the report schema is missing from this build")
        }
        return try Data(contentsOf: url)
    }
}
