import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// Raw blocks (binary, hex, one framed record) and raw transaction hex, with their bad inputs one by one.
@Suite struct RawSourceTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory("spoor-raw") }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func write(_ name: String, text: String) throws -> URL { try write(name, Array(text.utf8)) }

    func onlyBlock(_ url: URL, network: Network? = nil) throws -> (SourceBlock, RawBlockSource) {
        let source = try RawBlockSource(file: url, network: network)
        guard case let .block(b)? = try source.next() else { throw SourceError("no block", at: ChainSources.SourceLocation(file: url.path)) }
        #expect(try source.next() == nil)
        return (b, source)
    }

    func expectSourceError(_ body: () throws -> Void, location: (ChainSources.SourceLocation) -> Bool, saying words: [String],
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error", sourceLocation: sourceLocation)
        } catch let e as SourceError {
            #expect(location(e.location), "\(e)", sourceLocation: sourceLocation)
            for w in words { #expect(e.description.contains(w), "\(e) should say '\(w)'", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("expected a SourceError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: raw blocks

    @Test func binaryHexAndFramedGiveTheSameBlock() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Fixtures.bytes("bitcoin-core/block413567.raw")
        let (binary, _) = try onlyBlock(Fixtures.url("bitcoin-core/block413567.raw"))
        let (hex, hexSource) = try onlyBlock(try write("b.hex", text: Hex.encode(bytes) + "\n"))
        let (framed, framedSource) = try onlyBlock(try write("b.dat", BlkDirectoryBuilder.record(bytes)))
        #expect(hexSource.isHex)
        #expect(binary.block.transactions.count == 1557)
        #expect(binary.height == 413_567)
        #expect(hex.block.hash == binary.block.hash && framed.block.hash == binary.block.hash)
        #expect(hex.block.transactions.map(\.txid) == binary.block.transactions.map(\.txid))
        #expect(framedSource.network == .main)
        #expect(hexSource.network == nil, "plain bytes carry no network")
    }

    @Test func segwitBlockHex() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Fixtures.bytes("btcd/block574200.blk")
        let (b, _) = try onlyBlock(try write("segwit.hex", text: Hex.encode(bytes)), network: .main)
        #expect(b.block.weight == 3_993_106)
        #expect(b.block.witnessCommitmentValid == true)
    }

    @Test func oddLengthHex() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write("odd.hex", text: "0" + Hex.encode(try Fixtures.bytes("btcd/block574200.blk").prefix(200)))
        expectSourceError({ _ = try RawBlockSource(file: url, network: nil) },
                          location: { $0.file == url.path }, saying: ["odd number of hex digits"])
    }

    @Test func nonHexCharacterGivesItsOffset() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = Array(("\n" + Hex.encode(try Fixtures.bytes("btcd/277647.dat"))).utf8)
        text[1001] = UInt8(ascii: "g")
        let url = try write("bad.hex", text)
        expectSourceError({ _ = try RawBlockSource(file: url, network: nil) },
                          location: { $0.file == url.path && $0.byteOffset == 1001 },
                          saying: ["'g' is not a hex digit", "character 1001"])
    }

    @Test func trailingBytesAfterTheBlock() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Fixtures.bytes("btcd/block574200.blk")
        let url = try write("trailing.bin", bytes + [0, 1])
        expectSourceError({ _ = try RawBlockSource(file: url, network: nil) },
                          location: { $0.byteOffset == bytes.count }, saying: ["2 trailing byte(s)"])
    }

    @Test func truncatedBlock() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = try Fixtures.bytes("bitcoin-core/block413567.raw")
        let url = try write("short.bin", Array(bytes.prefix(500_000)))
        expectSourceError({ _ = try RawBlockSource(file: url, network: nil) },
                          location: { ($0.byteOffset ?? 0) > 0 && ($0.byteOffset ?? .max) <= 500_000 },
                          saying: ["bad block"])
    }

    @Test func framedRecordWithTheWrongLengthOrNetwork() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = try Fixtures.bytes("btcd/277647.dat")
        expectSourceError({ _ = try RawBlockSource(file: try write("r1.dat", record + [0]), network: nil) },
                          location: { $0.byteOffset == 4 }, saying: ["record length"])
        expectSourceError({ _ = try RawBlockSource(file: try write("r2.dat", record), network: .testnet4) },
                          location: { $0.byteOffset == 0 }, saying: ["main", "testnet4"])
    }

    @Test func emptyFile() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write("empty.bin", [])
        #expect(throws: SourceError.self) { _ = try RawBlockSource(file: url, network: nil) }
    }

    // MARK: raw transaction hex

    func validRows() throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("bitcoin-core/tx_valid.json")))
        return ((json as? [[Any]]) ?? []).compactMap { $0.first is [Any] ? $0[1] as? String : nil }
    }

    func transactions(_ source: RawTransactionHexSource) -> ([(Transaction, ChainSources.SourceLocation)], (any Error)?) {
        var out: [(Transaction, ChainSources.SourceLocation)] = []
        do {
            while let item = try source.next() { if case let .transaction(t, l) = item { out.append((t, l)) } }
            return (out, nil)
        } catch { return (out, error) }
    }

    @Test func hexLinesWithBlankLinesAndCRLF() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = try validRows()
        let text = rows.enumerated().map { i, r in i % 10 == 0 ? r + "\r\n\n" : r + "\n" }.joined()
        let url = try write("txs.hex", text: text)
        let (txs, error) = transactions(try RawTransactionHexSource(file: url, network: nil))
        #expect(error == nil)
        #expect(txs.count == 121)
        #expect(try txs.map(\.0.txid) == rows.map { try Transaction(bytes: try Hex.decode($0)).txid })
        #expect(txs.first?.1.line == 1)
        #expect(txs[1].1.line == 3, "the blank line counts")
    }

    @Test(arguments: [
        ("0", "odd number of hex digits"),
        ("zz", "not a hex digit"),
        ("TRAILING", "trailing byte"),
        ("TRUNCATED", "truncated"),
        ("NONCANONICAL", "non-canonical CompactSize"),
        ("SUPERFLUOUS", "superfluous witness"),
    ])
    func aBadLineIsNamedAfterTheGoodOnes(bad: String, words: String) throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = try validRows()
        let good = rows[0]
        let badLine: String
        switch bad {
        case "TRAILING": badLine = good + "00"
        case "TRUNCATED": badLine = String(good.dropLast(2))
        // The input count 01 written as fd 01 00.
        case "NONCANONICAL": badLine = String(good.prefix(8)) + "fd0100" + String(good.dropFirst(10))
        case "SUPERFLUOUS":
            badLine = "01000000" + "0001" + "01" + String(repeating: "11", count: 32) + "00000000" + "00" + "ffffffff"
                + "01" + "0100000000000000" + "00" + "00" + "00000000"
        default: badLine = good + bad
        }
        let url = try write("bad.hex", text: [rows[1], rows[2], "", badLine, rows[3]].joined(separator: "\n"))
        let (txs, error) = transactions(try RawTransactionHexSource(file: url, network: nil))
        #expect(txs.count == 2, "the lines before the fault are delivered")
        guard let e = error as? SourceError else { Issue.record("expected a SourceError, got \(String(describing: error))"); return }
        #expect(e.location.file == url.path)
        #expect(e.location.line == 4)
        #expect(e.description.contains(words), "\(e)")
    }
}
