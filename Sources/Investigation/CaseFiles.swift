import ChainSources
import BitcoinPrimitives
import CaseStore
import Foundation
import Tracing

/// Where the investigator's case files are: the watchlist (required), the scraped ads and the day rates.
public struct CaseFiles: Sendable {
    public var watchlist: URL
    public var ads: URL?
    public var rates: URL?
    public init(watchlist: URL, ads: URL? = nil, rates: URL? = nil) {
        self.watchlist = watchlist; self.ads = ads; self.rates = rates
    }
}

/// The case files read and parsed, with each file's SHA-256 for the report's manifest.
public struct CaseFileContents: Sendable {
    /// One entry per file read, in the order watchlist, ads, rates.
    public var inputs: [Report.InputFile]
    public var watchlist: [Tag]
    public var ads: [Ad]
    public var rates: RateTable
}

extension CaseFiles {
    /// Reads and parses every file; bad input ends in an `InputError` naming the file (and line).
    public func read() throws -> CaseFileContents {
        var inputs: [Report.InputFile] = []
        inputs.append(try Self.load(watchlist, role: "watchlist").file)
        let watch = try TagParser.parse(fileURL: watchlist).tags
        guard !watch.isEmpty else { throw InputError(file: watchlist.path, "the watchlist lists no address") }
        var ads: [Ad] = []
        if let url = self.ads {
            ads = try CaseInputs.parseAds(text: try Self.text(url, role: "ads", into: &inputs), file: url.path)
        }
        var rates = RateTable()
        if let url = self.rates {
            rates = try CaseInputs.parseRates(text: try Self.text(url, role: "rates", into: &inputs), file: url.path)
        }
        if ads.contains(where: { if case .usdCents = $0.price { return true } else { return false } }) && self.rates == nil {
            throw InputError(file: self.ads?.path ?? "ads", "some ads are priced in USD: pass --rates with USD per BTC by day")
        }
        return CaseFileContents(inputs: inputs, watchlist: watch, ads: ads, rates: rates)
    }

    /// The largest case file read (a scrape of a million ads is about 100 MB).
    public static let maximumFileSize = 256 << 20

    /// The file's bytes and its manifest entry.
    static func load(_ url: URL, role: String) throws -> (data: Data, file: Report.InputFile) {
        let data: Data
        do { data = Data(try InputFile.read(url.path, limit: maximumFileSize)) } catch {
            throw InputError(file: url.path, "cannot read the \(role) file: \(error.message)")
        }
        let digest = Hashing.sha256([UInt8](data))
        return (data, Report.InputFile(role: role, file: url.lastPathComponent, sha256: Hex.encode(digest.bytes),
                                       bytes: data.count))
    }

    /// The file as UTF-8 text, its manifest entry appended to `inputs`.
    static func text(_ url: URL, role: String, into inputs: inout [Report.InputFile]) throws -> String {
        let (data, file) = try load(url, role: role)
        inputs.append(file)
        guard let text = String(data: data, encoding: .utf8) else { throw InputError(file: url.path, "not UTF-8 text") }
        return text
    }
}
