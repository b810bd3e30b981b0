import Foundation

/// The files a command must not write: the case database (with the `-wal`, `-shm` and `-journal` files SQLite
/// keeps beside it) and the command's inputs. An output path that is one of them — by name, through a
/// symlink, or as a hard link — is refused before anything is written, and so are two outputs on one file.
struct OutputGuard {
    private struct Protected {
        var path: String
        var identity: FileIdentity?
        var what: String
    }

    private var protected: [Protected] = []

    mutating func protect(database path: String) {
        protect(path, as: "the case database")
        for suffix in ["-wal", "-shm", "-journal"] { protect(path + suffix, as: "the case database's \(suffix) file") }
    }

    mutating func protect(_ path: String, as what: String) {
        protected.append(Protected(path: Self.resolved(path), identity: FileIdentity(path), what: what))
    }

    /// Every regular file under `path` (the path itself when it is a file), as inputs.
    mutating func protect(tree path: String, as what: String) {
        protect(path, as: what)
        guard let walker = FileManager.default.enumerator(atPath: path) else { return }
        var n = 0
        while let name = walker.nextObject() as? String, n < 100_000 {
            protect((path as NSString).appendingPathComponent(name), as: what)
            n += 1
        }
    }

    /// Throws when `output` is a protected file; otherwise protects it from the outputs checked after it.
    mutating func check(_ output: String, as option: String) throws {
        let path = Self.resolved(output)
        let identity = FileIdentity(output)
        for p in protected where p.path == path || (identity != nil && identity == p.identity) {
            throw CommandFailure("\(option) \(output) is \(p.what): refusing to overwrite it (choose another path)")
        }
        protected.append(Protected(path: path, identity: identity, what: "another output of this command (\(option))"))
    }

    /// The path with symlinks of its folder resolved (the file itself may not exist yet) and, when it exists,
    /// its own symlink too.
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) { return url.resolvingSymlinksInPath().path }
        let folder = url.deletingLastPathComponent().resolvingSymlinksInPath()
        return folder.appendingPathComponent(url.lastPathComponent).path
    }
}

/// Device and inode of an existing file: equal for two names of one file (hard links, symlinks).
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init?(_ path: String) {
        // Through FileManager, which reads lstat: resolve the name's own symlinks first.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
              let device = (attributes[.systemNumber] as? NSNumber)?.uint64Value,
              let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value else { return nil }
        self.device = device
        self.inode = inode
    }
}
