import CaseStore
import ChainSources
import Foundation
import Investigation
import Reports
@testable import SpoorCommands
import SpoorTestSupport
import Testing

/// Misleading or silent outcomes the issue found, each now a clear error or a safe output.
@Suite(.serialized) struct HostileCommandTests {
    static let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")

    /// One ingested sample chain for the tests of this suite.
    static let database = Result { () throws -> String in
        let dir = try Fixtures.temporaryDirectory("hostile-commands")
        let db = dir.appendingPathComponent("case.sqlite").path
        let items = try BlockDirectorySourceItems.all(chain.appendingPathComponent("blocks"))
        _ = try Ingestor(database: try CaseDatabase(path: db)).ingest(ItemSource(items, network: .regtest))
        return db
    }

    /// `report` and `cluster` on an empty (0-byte) file: an error naming what to run first, and the file stays
    /// empty (both used to initialise it; report then wrote an empty report with exit 0).
    @Test func readingCommandsRefuseAnEmptyDatabase() async throws {
        let dir = try Fixtures.temporaryDirectory("empty-db")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("case.sqlite").path
        FileManager.default.createFile(atPath: db, contents: Data())
        let watch = Self.chain.appendingPathComponent("case/watchlist.json").path
        for args in [["report", "--watchlist", watch, "--out", dir.appendingPathComponent("r.json").path, "--db", db],
                     ["cluster", "--db", db], ["match-ads", "--ads", Self.chain.appendingPathComponent("case/ads.csv").path,
                                                "--site", watch, "--db", db]] {
            await #expect {
                try await runSpoor(args)
            } throws: { error in
                "\(error)".contains("spoor ingest") && "\(error)".contains("0 bytes")
            }
        }
        #expect((try FileManager.default.attributesOfItem(atPath: db)[.size] as? NSNumber)?.intValue == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.json").path))
    }

    /// A watchlist of mainnet addresses (or of text that is no address) against a regtest case: an error naming
    /// the first bad entry, not an empty site with exit 0.
    @Test func aWatchlistOfAnotherNetworkIsRefused() async throws {
        let db = try Self.database.get()
        let dir = try Fixtures.temporaryDirectory("bad-watchlist")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, entries) in [("mainnet", ["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"]), ("garbage", ["not-an-address", "x"])] {
            let file = dir.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: ["addresses": entries.map { ["address": $0] }]).write(to: file)
            await #expect {
                try await runSpoor(["report", "--watchlist", file.path, "--out", dir.appendingPathComponent("r.json").path,
                                    "--db", db])
            } throws: { error in
                "\(error)".contains("not regtest addresses")
            }
        }
    }

    /// `tags import` checks every address against the case's network: a TagPack of mainnet addresses is refused
    /// whole into a regtest case; a mix stores only the valid ones and counts the rest (it used to store any
    /// string as an address).
    @Test func tagsImportStoresOnlyAddressesOfTheCase() async throws {
        let source = try Self.database.get()
        let dir = try Fixtures.temporaryDirectory("tags-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("case.sqlite").path
        try FileManager.default.copyItem(atPath: source, toPath: db)
        await #expect {
            try await runSpoor(["tags", "import", Fixtures.url("tagpacks/walletexplorer.yaml").path, "--db", db])
        } throws: { error in
            "\(error)".contains("none of its 386 tags names a regtest address")
        }
        let mixed = dir.appendingPathComponent("mixed.csv")
        try Data("address,label\nbcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080,ok\nnot-an-address,bad\n\u{1b}[31mred,worse\n".utf8).write(to: mixed)
        try await runSpoor(["tags", "import", mixed.path, "--db", db])
        let stored = try TagStore.all(in: try CaseDatabase(path: db, mode: .readOnly))
        #expect(stored.map(\.address) == ["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"])
    }

    /// Terminal escapes and bidi overrides in outside text are shown, not obeyed: in `tags list` and friends,
    /// and in the HTML report (U+202E used to reach it raw).
    @Test func controlCharactersAreShownNotObeyed() {
        #expect(VisibleText.shown("\u{1b}[2J\u{1b}]0;pwned\u{07}") == "[U+001B][2J[U+001B]]0;pwned[U+0007]")
        #expect(VisibleText.shown("invoice\u{202E}fdp.exe") == "invoice[U+202E]fdp.exe")
        #expect(VisibleText.shown("plain label, ü ok") == "plain label, ü ok")
        #expect(HTML.escape("a\u{202E}b\u{2066}c") == "a[U+202E]b[U+2066]c")
        #expect(HTML.escape("<b>\u{1b}") == "&lt;b&gt;&#xFFFD;")
    }

    /// `inspect tx` on a text file that is not hex: named as such (it used to be decoded as binary and fail at
    /// a meaningless byte).
    @Test func textThatIsNotHexIsNamed() async throws {
        let dir = try Fixtures.temporaryDirectory("not-hex")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tx.txt")
        try Data("0100000001zz not a transaction at all\n".utf8).write(to: file)
        await #expect {
            try await runSpoor(["inspect", "tx", file.path])
        } throws: { error in
            "\(error)".contains("character 10") && "\(error)".contains("not a hex digit")
        }
    }

    /// Node JSON saved with a UTF-8 byte order mark (Windows editors) is node JSON: it used to be taken for a
    /// raw block and fail as one.
    @Test func jsonWithAByteOrderMarkIsRead() async throws {
        let dir = try Fixtures.temporaryDirectory("bom")
        defer { try? FileManager.default.removeItem(at: dir) }
        let reader = try GzipLineReader(path: Self.chain.appendingPathComponent("rpc/blocks.jsonl.gz").path)
        var lines: [[UInt8]] = []
        for _ in 0 ..< 3 { if let l = try reader.nextLine() { lines.append(l) } }
        let file = dir.appendingPathComponent("blocks.jsonl")
        try Data([0xEF, 0xBB, 0xBF] + lines.joined(separator: [0x0a]) + [0x0a]).write(to: file)
        #expect(try SourceDetection.kind(of: file.path) == .nodeJSON)
        let db = dir.appendingPathComponent("case.sqlite").path
        try await runSpoor(["ingest", file.path, "--db", db, "--quiet"])
        #expect(try StoreQueries.stats(try CaseDatabase(path: db, mode: .readOnly)).blocks == 3)
    }

    /// Foundation's file errors print as a sentence naming the file, not as "Error Domain=NSCocoaErrorDomain".
    @Test func foundationErrorsReadAsSentences() {
        let error = CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "/cases/ads.csv"])
        #expect("\(FoundationErrorText.plain(error))" == "/cases/ads.csv: no such file")
        let posix = NSError(domain: NSCocoaErrorDomain, code: 513, userInfo: [
            NSFilePathErrorKey: "/ro/report.json", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: 30)])
        #expect("\(FoundationErrorText.plain(posix))" == "/ro/report.json: Read-only file system")
    }
}

enum BlockDirectorySourceItems {
    static func all(_ dir: URL) throws -> [SourceItem] {
        let source = try BlockDirectorySource(directory: dir, network: nil)
        var items: [SourceItem] = []
        while let item = try source.next() { items.append(item) }
        return items
    }
}
