// swift-tools-version: 6.1
// libFuzzer harnesses for every reader of outside bytes. A package of its own, so `swift build` at the root
// never builds them: Tests/Fuzz/fuzz.sh builds them with `-sanitize=fuzzer,address` (which instruments Spoor's
// code they link too) and runs them. Each executable is one harness. SwiftPM links an executable's entry point
// as `<Module>_main`, which `-parse-as-library` does not emit, so each harness defines that symbol itself and
// hands control to libFuzzer's driver (`FuzzSupport.fuzzMain`).
import PackageDescription

let harnesses = ["FuzzTransaction", "FuzzBlock", "FuzzBlkDirectory", "FuzzNodeJSON", "FuzzBitcoinETL", "FuzzEsploraJSON",
                 "FuzzAdsCSV", "FuzzWatchlist", "FuzzTagPackYAML", "FuzzProfileJSON", "FuzzRawFile"]

let package = Package(
    name: "spoor-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "spoor", path: "../..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver", .product(name: "SpoorReaders", package: "spoor")]),
    ] + harnesses.map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "SpoorReaders", package: "spoor")])
    },
    swiftLanguageModes: [.v6]
)
