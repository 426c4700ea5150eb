extension Substring {
    /// Without leading and trailing optional whitespace, as HTTP field values delimit it: spaces
    /// and horizontal tabs only (RFC 9110 §5.6.3). Done on the UTF-8 bytes: Foundation's
    /// `trimmingCharacters(in:)` bridged through `NSString` on every request.
    func trimmingOptionalWhitespace() -> SubSequence {
        let bytes = utf8
        var lo = bytes.startIndex
        var hi = bytes.endIndex
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo = bytes.index(after: lo) }
        while lo < hi {
            let last = bytes.index(before: hi)
            guard bytes[last] == 0x20 || bytes[last] == 0x09 else { break }
            hi = last
        }
        return self[lo..<hi]
    }
}
