/// Text from outside (tag labels, ad ids, contacts) made safe to show: characters that would act instead of
/// appear — terminal escape sequences and other control characters, and the Unicode controls that reorder or
/// hide text (U+202E RIGHT-TO-LEFT OVERRIDE makes "exe.txt" read as "txt.exe") — are written as `[U+XXXX]`.
public enum VisibleText {
    /// Whether `c` is a character that acts rather than shows: C0 and C1 controls, DEL, bidirectional
    /// embeddings, overrides and isolates, marks, and the line and paragraph separators.
    public static func acts(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x00 ... 0x1F, 0x7F ... 0x9F: return true
        case 0x200E, 0x200F, 0x202A ... 0x202E, 0x2066 ... 0x2069, 0x061C, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// `s` with every acting character written as `[U+XXXX]`.
    public static func shown(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: acts) else { return s }
        var out = ""
        for c in s.unicodeScalars {
            if acts(c) {
                let hex = String(c.value, radix: 16, uppercase: true)
                out += "[U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
