import CFuzzDriver
import ChainSources
import Foundation

/// Helpers the harnesses share: a scratch folder for readers that take files, and a splitter for inputs that
/// stand for several files.
public enum FuzzScratch {
    /// One folder per process, in memory when /dev/shm exists (a file per execution costs little there).
    public static let folder: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm")
            : FileManager.default.temporaryDirectory
        let dir = base.appendingPathComponent("spoor-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: FuzzScratch.folder) }
        return dir
    }()

    /// Writes `bytes` to `name` in the scratch folder (replacing it) and returns its path.
    @discardableResult
    public static func write(_ bytes: some Collection<UInt8>, to name: String, in dir: URL = folder) -> URL {
        let url = dir.appendingPathComponent(name)
        try? Data(bytes).write(to: url)
        return url
    }

    /// A fresh empty subfolder of the scratch folder.
    public static func emptyFolder(_ name: String) -> URL {
        let dir = folder.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: dir)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

extension UnsafeRawBufferPointer {
    /// The input split at the first `0xFF 0x00 0xFF 0x00` marker (the seed corpora join files with it).
    /// `memchr` and `memcmp`, not a Swift loop over every byte: the harness's own code is instrumented too, and
    /// a byte-by-byte search cost a coverage callback per input byte (15 % of the blk-directory harness's time).
    public func splitAtMarker() -> ([UInt8], [UInt8]) {
        let marker: [UInt8] = [0xFF, 0x00, 0xFF, 0x00]
        guard let base = baseAddress else { return ([], []) }
        var from = 0
        while count - from >= marker.count, let hit = memchr(base + from, 0xFF, count - from - marker.count + 1) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if marker.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, $0.count) }) == 0 {
                return (Array(self[..<at]), Array(self[(at + marker.count)...]))
            }
            from = at + 1
        }
        return (Array(self), [])
    }
}

/// Fails loudly (the fuzzer records the input) when a property of the readers does not hold.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        FileHandle.standardError.write(Data("property failed: \(message())\n".utf8))
        abort()
    }
}

/// A harness's entry point: libFuzzer's driver, running `body` on each input.
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                     _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, body)
}

extension UnsafeRawBufferPointer {
    /// The fuzzer's input as a buffer (an empty one for a null pointer).
    public init(fuzzInput data: UnsafePointer<UInt8>?, count: Int) {
        self = data.map { UnsafeRawBufferPointer(start: $0, count: count) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }
}

/// Reads a source to its end under the contract every reader of outside bytes keeps: it ends, or it throws a
/// `SourceError` naming where; any other fault is a finding.
public func fuzzReadToEnd(_ open: () throws -> any ChainSource) {
    do {
        let source = try open()
        while try source.next() != nil {}
    } catch is SourceError {
    } catch {
        fuzzCheck(false, "a fault that is not a SourceError: \(error)")
    }
}
