import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// The sample chain's `getblock 3` lines, compressed by the chain's generator (not by Spoor).
let sampleRPC = Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz")

func readAllLines(_ path: String, chunkSize: Int = 1 << 20) throws -> [[UInt8]] {
    let reader = try GzipLineReader(path: path, chunkSize: chunkSize)
    var lines: [[UInt8]] = []
    while let line = try reader.nextLine() { lines.append(line) }
    return lines
}

func writeTemporary(_ bytes: [UInt8], name: String) throws -> URL {
    let url = try Fixtures.temporaryDirectory("spoor-sources").appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

@Suite struct GzipLineReaderTests {
    @Test func readsTheCompressedSampleLineByLine() throws {
        let reader = try GzipLineReader(path: sampleRPC.path)
        #expect(reader.isCompressed)
        var count = 0
        var longest = 0
        while let line = try reader.nextLine() {
            count += 1
            longest = max(longest, line.count)
            #expect(line.first == UInt8(ascii: "{") && line.last == UInt8(ascii: "}"))
            #expect(reader.lineNumber == count)
        }
        // The sample's README states 337 blocks, one line each.
        #expect(count == 337)
    }

    @Test func smallChunksGiveTheSameLines() throws {
        let big = try readAllLines(sampleRPC.path)
        let small = try readAllLines(sampleRPC.path, chunkSize: 4096)
        #expect(big == small)
        #expect(small.map(\.count).max() ?? 0 > 16 * 4096, "lines many chunks long must come back whole")
    }

    @Test func plainTextWithCRLFAndNoFinalNewline() throws {
        let url = try writeTemporary(Array("one\r\ntwo\n\nfour".utf8), name: "plain.txt")
        let reader = try GzipLineReader(path: url.path)
        #expect(!reader.isCompressed)
        #expect(try reader.nextLine() == Array("one".utf8))
        #expect(try reader.nextLine() == Array("two".utf8))
        #expect(try reader.nextLine() == [])
        #expect(try reader.nextLine() == Array("four".utf8))
        #expect(reader.lineNumber == 4)
        #expect(try reader.nextLine() == nil)
    }

    @Test func aLineOfSeveralMegabytesInAPlainFile() throws {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 5_000_000)
        let url = try writeTemporary(Array("x\n".utf8) + long + Array("\ny\n".utf8), name: "long.txt")
        let lines = try readAllLines(url.path, chunkSize: 4096)
        #expect(lines.count == 3)
        #expect(lines[1] == long)
        #expect(lines[2] == Array("y".utf8))
    }

    @Test func aLineOverTheLimitIsRefusedEvenWhenTheFileIsReadInOneGo() throws {
        // 10 lines of 100 bytes, the 7th of 101: the file fits one read, so the limit must hold per line.
        var text = ""
        for i in 1...10 { text += String(repeating: "a", count: i == 7 ? 101 : 100) + "\n" }
        let url = try writeTemporary(Array(text.utf8), name: "limit.txt")
        let reader = try GzipLineReader(path: url.path, maximumLineLength: 100)
        for _ in 1...6 { #expect(try reader.nextLine()?.count == 100) }
        let error = #expect(throws: SourceError.self) { try reader.nextLine() }
        #expect(error?.location.line == 7)
        #expect(error?.message.contains("longer than 100 bytes") == true)
    }

    @Test func aFileWithoutFinalNewlineAsLongAsItsFirstBufferReadsWhole() throws {
        // A plain file's first buffer is its size + 1: the last line fills it but for the byte that finds the end.
        let lines = (0..<300).map { String(repeating: Character(UnicodeScalar(97 + $0 % 26)!), count: $0) }
        let url = try writeTemporary(Array(lines.joined(separator: "\n").utf8), name: "nofinal.txt")
        #expect(try readAllLines(url.path).map { String(decoding: $0, as: UTF8.self) } == lines)
        #expect(try readAllLines(url.path, chunkSize: 4096).map { String(decoding: $0, as: UTF8.self) } == lines)
    }

    @Test func concatenatedGzipMembersReadAsOneStream() throws {
        // Two whole gzip members back to back (what `cat a.gz b.gz` or parallel gzip writers produce).
        let member = [UInt8](try Data(contentsOf: sampleRPC))
        let url = try writeTemporary(member + member, name: "twice.jsonl.gz")
        let once = try readAllLines(sampleRPC.path)
        let twice = try readAllLines(url.path)
        #expect(twice.count == 2 * once.count)
        #expect(Array(twice[once.count...]) == once)
    }

    @Test func truncatedGzipYieldsEveryWholeLineThenThrows() throws {
        let member = [UInt8](try Data(contentsOf: sampleRPC))
        let url = try writeTemporary(Array(member[..<(member.count / 2)]), name: "cut.jsonl.gz")
        let full = try readAllLines(sampleRPC.path)
        let reader = try GzipLineReader(path: url.path)
        var got: [[UInt8]] = []
        let error = #expect(throws: SourceError.self) {
            while let line = try reader.nextLine() { got.append(line) }
        }
        #expect(got.count > 100 && got.count < full.count)
        #expect(got == Array(full[..<got.count]))
        #expect(error?.message.contains("truncated") == true)
        #expect(error?.location.file == url.path)
        #expect(error?.location.line == got.count + 1)
    }

    /// A gzip bomb (80 MiB of 1 MiB lines of one letter, about 1000:1) is refused once it has expanded past
    /// 64 MiB, naming the file and line; chain data (about 4:1) reads through even with no allowance. Before,
    /// any expansion was read to the end: 10 GB of blank lines took 28 CPU-minutes.
    @Test func aDecompressionBombIsRefused() throws {
        let dir = try Fixtures.temporaryDirectory("gzip-bomb")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bomb = dir.appendingPathComponent("blocks.jsonl.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "for i in $(seq 80); do head -c 1048575 /dev/zero | tr '\\0' a; echo; done | gzip > '\(bomb.path)'"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let reader = try GzipLineReader(path: bomb.path)
        var lines = 0
        let error = #expect(throws: SourceError.self) { while try reader.nextLine() != nil { lines += 1 } }
        #expect(error?.message.contains("decompression bomb") == true, "\(String(describing: error))")
        #expect(error?.location.file == bomb.path && error?.location.line == lines + 1)
        #expect(lines >= 60 && lines < 80)
        let sample = try GzipLineReader(path: sampleRPC.path, expansionAllowance: 0)
        var count = 0
        while try sample.nextLine() != nil { count += 1 }
        #expect(count == 337)
    }

    @Test func aMissingFileIsAClearError() throws {
        let error = #expect(throws: SourceError.self) { try GzipLineReader(path: "/nonexistent/blocks.jsonl.gz") }
        #expect(error?.location.file == "/nonexistent/blocks.jsonl.gz")
        #expect(error?.message.contains("cannot open") == true)
    }
}
