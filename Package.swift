// swift-tools-version: 6.1
// Spoor: follows Bitcoin payment trails for investigators.
// Targets are small and point one way: primitives <- addresses <- sources <- store <- commands.
// The analysis cores (Clustering, Tracing) are pure: no files, no database.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "spoor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "spoor", targets: ["spoor"]),
        .executable(name: "spoor-bench", targets: ["SpoorBench"]),
        // Every reader of outside bytes, for the fuzz harnesses in Tests/Fuzz (a package of its own, built with
        // the fuzzer and address sanitizer by Tests/Fuzz/fuzz.sh, never by `swift build` here).
        .library(name: "SpoorReaders", targets: ["BitcoinPrimitives", "BitcoinAddresses", "CaseStore", "ChainSources", "Clustering",
                                                 "Tracing", "Investigation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // Bytes, hashes, transactions, blocks: consensus encoding only.
        .target(name: "BitcoinPrimitives",
                dependencies: [.product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Script classification and address codecs (Base58Check, Bech32/Bech32m, RIPEMD-160).
        .target(name: "BitcoinAddresses",
                dependencies: ["BitcoinPrimitives", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Debian's zlib, for reading gzip-compressed export shards without unpacking them.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // Debian's libcurl, for the HTTP client (bounded answers, no redirects, no auth challenges).
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        // Every way chain data enters Spoor: blk files, raw hex, node JSON (files and HTTP), bitcoin-etl.
        .target(name: "ChainSources",
                dependencies: ["BitcoinPrimitives", "BitcoinAddresses", "CZlib", "CCurl"],
                swiftSettings: strict),
        // The chain as dense columns (transactions, inputs, outputs, links, addresses): what clustering and
        // tracing read, built by the store's one loader or by hand.
        .target(name: "ChainIndex",
                dependencies: ["BitcoinPrimitives"],
                swiftSettings: strict),
        // Pure clustering core: union-find, heuristics, profiles, evidence.
        .target(name: "Clustering",
                dependencies: ["BitcoinPrimitives", "BitcoinAddresses", "ChainIndex"],
                swiftSettings: strict),
        // Pure tracing core: flow policies and ad matching.
        .target(name: "Tracing",
                dependencies: ["BitcoinPrimitives", "ChainIndex",
                               .product(name: "HeapModule", package: "swift-collections")],
                swiftSettings: strict),
        // The SQLite case database (GRDB): schema, ingest, queries.
        .target(name: "CaseStore",
                dependencies: ["BitcoinPrimitives", "BitcoinAddresses", "ChainSources", "ChainIndex",
                               .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
                swiftSettings: strict),
        // The investigation: case files (watchlists, tags, ads, rates) and the stored chain and clustering in,
        // the report model out (site expansion, payments, ad matching, tracing composed).
        .target(name: "Investigation",
                dependencies: ["BitcoinPrimitives", "BitcoinAddresses", "ChainIndex", "ChainSources", "Clustering", "Tracing",
                               "CaseStore", .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        // Renders the report: JSON (and its schema), HTML, GraphML, DOT.
        .target(name: "Reports",
                dependencies: ["Investigation"],
                // Embedded in the code, not a resource bundle: a copied binary carries its schema.
                resources: [.embedInCode("Schema/report.schema.json")],
                swiftSettings: strict),
        // Scores cases against sample chains' ground truth (truth/ is read here and in tests only, never by analysis).
        .target(name: "Evaluation",
                dependencies: ["ChainSources", "Clustering", "Investigation"],
                swiftSettings: strict),
        // The shipped heuristic profiles (Heuristics/profiles), embedded at build time by the EmbedProfiles
        // plugin so an installed binary needs no source tree.
        .target(name: "BuiltinProfiles", swiftSettings: strict, plugins: ["EmbedProfiles"]),
        .plugin(name: "EmbedProfiles", capability: .buildTool(), dependencies: ["EmbedFiles"],
                path: "Sources/EmbedProfilesPlugin"),
        .executableTarget(name: "EmbedFiles", swiftSettings: strict),
        // The commands, as a library so tests can run them in-process.
        .target(name: "SpoorCommands",
                dependencies: ["BitcoinPrimitives", "BitcoinAddresses", "ChainSources", "ChainIndex", "Clustering", "Tracing",
                               "CaseStore", "Investigation", "Reports", "Evaluation", "BuiltinProfiles", .product(name: "Yams", package: "Yams"),
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: strict),
        .executableTarget(name: "spoor", dependencies: ["SpoorCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: strict),
        // Benchmarks that print Spoor's figure next to a peer's from the same run.
        .executableTarget(name: "SpoorBench",
                          dependencies: ["BitcoinPrimitives", "BitcoinAddresses", "ChainSources", "CaseStore",
                                         "ChainIndex", "Clustering", "Investigation", "Tracing",
                                         "SpoorTestSupport"],  // its seeded RNG: generated chains equal the tests' by seed
                          swiftSettings: strict),

        .target(name: "SpoorTestSupport", dependencies: ["BitcoinPrimitives"], path: "Tests/SpoorTestSupport"),
        .testTarget(name: "BitcoinPrimitivesTests", dependencies: ["BitcoinPrimitives", "SpoorTestSupport"]),
        .testTarget(name: "BitcoinAddressesTests",
                    dependencies: ["BitcoinAddresses", "BitcoinPrimitives", "SpoorTestSupport"]),
        .testTarget(name: "ChainSourcesTests",
                    dependencies: ["ChainSources", "BitcoinAddresses", "BitcoinPrimitives", "SpoorTestSupport"]),
        .testTarget(name: "ClusteringTests",
                    dependencies: ["Clustering", "BitcoinAddresses", "BitcoinPrimitives", "SpoorTestSupport"]),
        .testTarget(name: "TracingTests",
                    dependencies: ["Tracing", "Clustering", "BitcoinPrimitives", "SpoorTestSupport"]),
        .testTarget(name: "CaseStoreTests",
                    dependencies: ["CaseStore", "ChainSources", "Clustering", "Investigation", "BitcoinPrimitives", "SpoorTestSupport"]),
        .testTarget(name: "ReportsTests",
                    dependencies: ["Reports", "Investigation", "CaseStore", "Tracing", "Clustering", "SpoorTestSupport"]),
        .testTarget(name: "SpoorCommandsTests",
                    dependencies: ["SpoorCommands", "CaseStore", "ChainSources", "Investigation", "Reports", "Evaluation",
                                   "SpoorTestSupport"]),
        // A real regtest bitcoind (SPOOR_BITCOIND) against `spoor`; skipped with a message when it is not set.
        .testTarget(name: "NodeIntegrationTests",
                    dependencies: ["ChainSources", "CaseStore", "BitcoinAddresses", "BitcoinPrimitives", "SpoorTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
