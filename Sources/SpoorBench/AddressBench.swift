import BitcoinAddresses
import BitcoinPrimitives
import SpoorTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `spoor-bench addresses`: nanoseconds per classified output (kind + address) for each address-bearing
/// script kind, next to two reference figures from the same run: the SHA-256d that every Base58Check address
/// needs (the floor), and Bitcoin Core's own byte-at-a-time `EncodeBase58` algorithm transcribed to Swift.
enum AddressBench {
    static func run() {
        var rng = SeededRandom(seed: 0xADD2_E55E)
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        let count = 100_000
        let kinds: [(String, () -> [UInt8])] = [
            ("pubkeyhash", { [0x76, 0xa9, 20] + bytes(20) + [0x88, 0xac] }),
            ("scripthash", { [0xa9, 20] + bytes(20) + [0x87] }),
            ("pubkey (33)", { [33, 2] + bytes(32) + [0xac] }),
            ("witness_v0_keyhash", { [0, 20] + bytes(20) }),
            ("witness_v0_scripthash", { [0, 32] + bytes(32) }),
            ("witness_v1_taproot", { [0x51, 32] + bytes(32) }),
            ("nulldata", { [0x6a, 32] + bytes(32) }),
        ]
        let classifier = ScriptClassifier(network: .main)
        print("address derivation, \(count) random scripts per kind, release build, one core, thread CPU time")
        for (name, make) in kinds {
            let scripts = (0..<count).map { _ in make() }
            var checksum = 0
            let ns = measure {
                for s in scripts { checksum &+= classifier.classify(s).address?.utf8.count ?? 1 }
            }
            print("  \(name.padding(22)) \(fixed(ns / Double(count))) ns/output" + (checksum > 0 ? "" : " !"))
        }
        // References on the P2PKH payloads: the SHA-256d floor and Core's EncodeBase58 algorithm.
        let payloads = (0..<count).map { _ in [UInt8(0)] + bytes(20) }
        var sink: UInt64 = 0
        let shaNs = measure { for p in payloads { sink &+= Hashing.sha256d(p).w0 } }
        let oursNs = measure { for p in payloads { sink &+= UInt64(Base58Check.encode(p).utf8.count) } }
        let coreNs = measure {
            for p in payloads {
                let d = Hashing.sha256d(p)
                let full = p + withUnsafeBytes(of: d.w0.littleEndian) { Array($0.prefix(4)) }
                sink &+= UInt64(coreEncodeBase58(full).utf8.count)
            }
        }
        print("  Base58Check of a P2PKH payload: Spoor \(fixed(oursNs / Double(count))) ns, "
              + "Core's EncodeBase58 algorithm \(fixed(coreNs / Double(count))) ns, "
              + "SHA-256d alone (the floor) \(fixed(shaNs / Double(count))) ns" + (sink == 42 ? "." : ""))
    }

    /// Best of five runs, in nanoseconds of this thread's CPU time (the machine is shared: wall time would
    /// count other processes' turns).
    static func measure(_ body: () -> Void) -> Double {
        func now() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
        }
        var best = Double.infinity
        for _ in 0..<5 {
            let start = now()
            body()
            best = min(best, now() - start)
        }
        return best
    }

    static func fixed(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Bitcoin Core's `EncodeBase58` (base58.cpp): a big-endian base-58 buffer updated one input byte at a time.
    static func coreEncodeBase58(_ input: [UInt8]) -> String {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
        var zeroes = 0, length = 0, i = 0
        while i < input.count && input[i] == 0 { i += 1; zeroes += 1 }
        let size = (input.count - i) * 138 / 100 + 1
        var b58 = [UInt8](repeating: 0, count: size)
        while i < input.count {
            var carry = Int(input[i])
            var j = 0
            var it = size - 1
            while (carry != 0 || j < length) && it >= 0 {
                carry += 256 * Int(b58[it])
                b58[it] = UInt8(carry % 58)
                carry /= 58
                it -= 1; j += 1
            }
            length = j
            i += 1
        }
        var it = size - length
        while it < size && b58[it] == 0 { it += 1 }
        var out = [UInt8](repeating: alphabet[0], count: zeroes)
        while it < size { out.append(alphabet[Int(b58[it])]); it += 1 }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
