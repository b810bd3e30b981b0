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

    /// The JSON Schema the report follows (`Schema/report.schema.json`, embedded in the code at build time so
    /// that a copied binary carries it).
    public static func schemaData() -> Data {
        Data(PackageResources.report_schema_json)
    }
}
