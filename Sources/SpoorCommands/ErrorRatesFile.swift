import BuiltinProfiles
import Foundation
import Investigation

/// `Heuristics/error-rates.json`: every shipped profile's figures on the sample-chain corpus, written from
/// `Tests/Benchmarks/corpus.sh`'s results by `corpus-table.py --error-rates` (the one place they live; the dated
/// table is `Tests/Benchmarks/corpus-results.md`), embedded in the binary at build time (`BuiltinErrorRates`):
/// never read from the current folder, where a stray file must not put figures into a report.
struct ErrorRatesFile: Decodable {
    var corpus: Report.Corpus
    var profiles: [Entry]

    struct Entry: Decodable {
        var profile: Report.Profile
        var figures: [Report.Figure]
        var notes: [String]
    }

    /// The shipped file's entries.
    static func shipped() throws -> [Report.ErrorRates] {
        try decode(Data(BuiltinErrorRates.bytes), file: "Heuristics/error-rates.json (built in)")
    }

    static func load(_ path: String) throws -> [Report.ErrorRates] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("\(path): cannot read the error-rates file") }
        return try decode(data, file: path)
    }

    static func decode(_ data: Data, file path: String) throws -> [Report.ErrorRates] {
        let file: ErrorRatesFile
        do { file = try JSONDecoder().decode(ErrorRatesFile.self, from: data) } catch let error as DecodingError {
            throw CommandFailure("\(path): not an error-rates file: \(describe(error))")
        }
        return file.profiles.map { Report.ErrorRates(profile: $0.profile, corpus: file.corpus, figures: $0.figures, notes: $0.notes) }
    }

    /// A decoding error as the key path and what is wrong there.
    static func describe(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            let keys = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "at the top" : "at \(keys.dropFirst(keys.hasPrefix(".") ? 1 : 0))"
        }
        switch error {
        case .keyNotFound(let key, let c): return "\(path(c)): missing \(key.stringValue)"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return "\(path(c)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
