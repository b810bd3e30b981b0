import Clustering
import Foundation
import FuzzSupport
import Investigation

/// Heuristic profiles: JSON as `--profile` reads it, and the same bytes as YAML turned into JSON first (what a
/// `.yaml` profile goes through). Faults must be `ProfileError`s or `InputError`s.
@_cdecl("FuzzProfileJSON_main")
public func FuzzProfileJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzProfileJSON)
}

public func fuzzProfileJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let bytes = Array(input)
    _ = try? HeuristicProfile.load(bytes, file: "p.json")
    if let document = try? BoundedYAML.load(String(decoding: bytes, as: UTF8.self), file: "p.yaml") as? [String: Any],
       JSONSerialization.isValidJSONObject(document),
       let json = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]) {
        _ = try? HeuristicProfile.load([UInt8](json), file: "p.yaml", original: bytes)
    }
    return 0
}
