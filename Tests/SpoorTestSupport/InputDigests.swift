import Foundation

/// Digests of files by another program than Spoor (`sha256sum`), to check the ones Spoor records.
public enum InputDigests {
    /// `sha256sum FILE`, or of `gzip -dc FILE`.
    public static func sha256sum(_ path: String, decompressed: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", decompressed ? "gzip -dc \"$0\" | sha256sum" : "sha256sum < \"$0\"", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(out.prefix(64))
    }

    public static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
    }
}
