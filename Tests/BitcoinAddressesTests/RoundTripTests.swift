import BitcoinAddresses
import BitcoinPrimitives
import SpoorTestSupport
import Testing

/// Seeded property tests: script → address → script for every addressable kind and network, hostile bytes
/// and strings never crash, and one changed character makes an address invalid. Seeds are printed in the
/// failure messages so a failure can be replayed.
struct RoundTripTests {
    static func randomBytes(_ n: Int, _ rng: inout SeededRandom) -> [UInt8] {
        (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func randomAddressableScript(_ rng: inout SeededRandom) -> [UInt8] {
        switch rng.next() % 8 {
        case 0: return [0x76, 0xa9, 20] + randomBytes(20, &rng) + [0x88, 0xac]
        case 1: return [0xa9, 20] + randomBytes(20, &rng) + [0x87]
        case 2: return [0, 20] + randomBytes(20, &rng)
        case 3: return [0, 32] + randomBytes(32, &rng)
        case 4: return [0x51, 32] + randomBytes(32, &rng)
        case 5: return [0x51, 0x02, 0x4e, 0x73]
        case 6:
            let version = UInt8(2 + rng.next() % 15)       // OP_2 ... OP_16
            let length = Int(2 + rng.next() % 39)          // 2 ... 40 bytes
            return [0x50 + version, UInt8(length)] + randomBytes(length, &rng)
        default:
            let length = [3, 31, 33, 40][Int(rng.next() % 4)] // v1 programs that are not taproot
            return [0x51, UInt8(length)] + randomBytes(length, &rng)
        }
    }

    @Test(arguments: Network.allCases)
    func scriptToAddressToScript(network: Network) throws {
        let seed: UInt64 = 0xA11_CE5 &+ UInt64(network.magic[0])
        var rng = SeededRandom(seed: seed)
        let classifier = ScriptClassifier(network: network)
        for _ in 0..<400 {
            let script = RoundTripTests.randomAddressableScript(&rng)
            let c = classifier.classify(script)
            let text = try #require(c.address, "seed \(seed): no address for \(Hex.encode(script))")
            let decoded = try Address(text, network: network)
            #expect(decoded.scriptPubKey == script, "seed \(seed): \(text)")
            #expect(decoded.kind == c.kind, "seed \(seed): \(text)")
        }
    }

    /// A bare key's address is its P2PKH address: decoding gives the P2PKH script of hash160(key).
    @Test func pubkeyAddressDecodesToP2PKH() throws {
        var rng = SeededRandom(seed: 0xB0B)
        for _ in 0..<50 {
            let key = [2 + UInt8(rng.next() % 2)] + RoundTripTests.randomBytes(32, &rng)
            let c = ScriptClassifier(network: .main).classify([33] + key + [0xac])
            #expect(c.kind == .pubkey)
            let decoded = try Address(try #require(c.address))
            #expect(decoded.scriptPubKey == [0x76, 0xa9, 20] + Hash160.hash(key).bytes + [0x88, 0xac])
        }
    }

    /// Random and half-valid scripts: classification, asm and legacy destinations never trap, and the
    /// kind-only entry point agrees with the full one.
    @Test func hostileScriptsNeverTrap() {
        let seed: UInt64 = 0xBAD_5C21
        var rng = SeededRandom(seed: seed)
        let classifier = ScriptClassifier(network: .main)
        var kinds = Set<ScriptKind>()
        for i in 0..<20_000 {
            var script: [UInt8]
            if i % 2 == 0 {
                script = RoundTripTests.randomBytes(Int(rng.next() % 80), &rng)
            } else {
                // A real template with one byte changed or the script cut short.
                script = RoundTripTests.randomAddressableScript(&rng)
                if rng.next() % 2 == 0 {
                    script[Int(rng.next() % UInt64(script.count))] = UInt8(truncatingIfNeeded: rng.next())
                } else {
                    script.removeLast(Int(rng.next() % UInt64(script.count)))
                }
            }
            let c = classifier.classify(script)
            kinds.insert(c.kind)
            #expect(ScriptClassifier.kind(of: script) == c.kind, "seed \(seed) \(Hex.encode(script))")
            _ = ScriptAsm.string(script, attemptSighashDecode: true)
            if let legacy = classifier.legacyDestinations(script) {
                #expect(!legacy.addresses.isEmpty)
            }
        }
        #expect(kinds.contains(.nonstandard))
        #expect(kinds.count >= 5)
    }

    /// Changing one character of a valid address (to another character of its alphabet) is always detected:
    /// Bech32 guarantees it, Base58Check misses with probability 2^-32.
    @Test func oneChangedCharacterIsRejected() throws {
        let seed: UInt64 = 0xC4A1
        var rng = SeededRandom(seed: seed)
        let classifier = ScriptClassifier(network: .main)
        let base58 = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
        let bech32 = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        for _ in 0..<500 {
            let text = try #require(classifier.classify(RoundTripTests.randomAddressableScript(&rng)).address)
            var chars = Array(text)
            let isBech32 = text.hasPrefix("bc1")
            let first = isBech32 ? 3 : 0
            let i = first + Int(rng.next() % UInt64(chars.count - first))
            let alphabet = isBech32 ? bech32 : base58
            var pick = Int(rng.next() % UInt64(alphabet.count))
            if alphabet[pick] == chars[i] { pick = (pick + 1) % alphabet.count }
            chars[i] = alphabet[pick]
            #expect(throws: AddressError.self, "seed \(seed): \(String(chars)) from \(text)") {
                try Address(String(chars))
            }
        }
    }

    /// Random strings over both alphabets and address-like prefixes are rejected with an AddressError (a
    /// random string passes a 32-bit checksum with probability 2^-32), never a trap.
    @Test func randomStringsAreRejected() {
        let seed: UInt64 = 0x57_219A
        var rng = SeededRandom(seed: seed)
        let pool = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl qpzry9x8gf2tvdw0s3jn54khce6mua7lé")
        let prefixes = ["", "1", "3", "m", "2", "bc1q", "bc1p", "tb1q", "bcrt1q", "BC1Q", "bc1", "tc1q"]
        for _ in 0..<3_000 {
            let prefix = prefixes[Int(rng.next() % UInt64(prefixes.count))]
            let body = String((0..<Int(rng.next() % 70)).map { _ in pool[Int(rng.next() % UInt64(pool.count))] })
            #expect(throws: AddressError.self, "seed \(seed)") { try Address(prefix + body) }
        }
    }
}
