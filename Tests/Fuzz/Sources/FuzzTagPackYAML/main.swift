import Foundation
import FuzzSupport
import Investigation

/// GraphSense TagPacks (YAML): bounded depth and alias expansion; faults must be `InputError`s.
@_cdecl("FuzzTagPackYAML_main")
public func FuzzTagPackYAMLMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, fuzzTagPackYAML)
}

public func fuzzTagPackYAML(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(fuzzInput: data, count: count)
    let text = String(decoding: input, as: UTF8.self)
    do {
        let pack = try TagParser.parseTagPack(text: text, file: "pack.yaml")
        _ = pack.tags.map { VisibleText.shown($0.label) }
    } catch is InputError {
    } catch {
        fuzzCheck(false, "a fault that is not an InputError: \(error)")
    }
    return 0
}
