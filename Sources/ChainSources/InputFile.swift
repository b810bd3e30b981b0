#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening and reading files that come from outside: only regular files, and never more than a stated size.
///
/// A FIFO or a device named like a data file (`blk00000.dat`, `ads.csv`) would block `open(2)` until a writer
/// appears, or never end: it is refused before any read, without blocking (the file is opened non-blocking and
/// checked with `fstat`, so a path swapped between the check and the open cannot slip through).
public enum InputFile {
    /// An open regular file: its descriptor (blocking again, ready for `read`/`pread`) and size.
    public static func openRegular(_ path: String) throws(SourceError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            throw SourceError("cannot open: \(String(cString: strerror(errno)))", at: SourceLocation(file: path))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw SourceError("cannot stat: \(why)", at: SourceLocation(file: path))
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            let what: String
            switch st.st_mode & S_IFMT {
            case S_IFIFO: what = "a FIFO (named pipe)"
            case S_IFDIR: what = "a directory"
            case S_IFCHR, S_IFBLK: what = "a device"
            case S_IFSOCK: what = "a socket"
            default: what = "not a file"
            }
            throw SourceError("not a regular file but \(what): refused, since reading it could block or never end",
                              at: SourceLocation(file: path))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return (fd, Int(st.st_size))
    }

    /// The size `stat(2)` gives, nil when the path cannot be stat'ed (for progress estimates only).
    public static func size(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// The whole of a regular file of at most `limit` bytes.
    public static func read(_ path: String, limit: Int) throws(SourceError) -> [UInt8] {
        let (fd, size) = try openRegular(path)
        defer { close(fd) }
        guard size <= limit else {
            throw SourceError("the file is \(size) bytes; at most \(limit) are read from a file of this kind",
                              at: SourceLocation(file: path))
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { p in posixRead(fd, p.baseAddress! + done, size - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceError("read failed: \(String(cString: strerror(errno)))",
                                  at: SourceLocation(file: path, byteOffset: done))
            }
            if n == 0 { break }  // the file shrank while read: what is there is what was read
            done += n
        }
        bytes.removeLast(size - done)
        return bytes
    }
}

/// `read(2)`, named apart from `InputFile.read`.
private func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
